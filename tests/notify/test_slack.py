"""The Slack channel against a fake Slack on 127.0.0.1: both ways in, and every answer that matters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.notify import AlertGroupMessage, AlertItem, FeatureDrift, TestMessage
from monitor.notify.slack import SlackNotifier
from tests.notify.servers import FakeSlack, rate_limited, server_error

TOKEN = "xoxb-1234-5678-secretbottoken"
HOOK = "T9hooksecretB7"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack()
    server.start()
    server.tokens.add(TOKEN)
    server.channels.add("#ml-alerts")
    yield server
    server.stop()


def bot(fake: FakeSlack, token: str = TOKEN, channel: str = "#ml-alerts") -> SlackNotifier:
    return SlackNotifier("ml", token=token, channel=channel, base_url=fake.api_url, timeout=5)


def hook(fake: FakeSlack) -> SlackNotifier:
    return SlackNotifier("ml", webhook_url=fake.add_hook(HOOK), timeout=5)


def message(features: int = 3) -> AlertGroupMessage:
    alert = AlertItem(
        fingerprint="f1",
        rule="auc-drop",
        status="firing",
        severity="critical",
        labels={"rule": "auc-drop", "metric": "roc_auc"},
        value=0.61,
        threshold=0.7,
        summary="roc_auc = 0.61 (< 0.7: breached)",
    )
    return AlertGroupMessage(
        monitor="credit",
        model="credit-v3",
        status="firing",
        reason="firing",
        window_start="2026-03-01T00:00:00+00:00",
        window_end="2026-03-02T00:00:00+00:00",
        group={},
        firing=(alert,),
        drifted_features=tuple(
            FeatureDrift(f"f{i}", "ks", 0.2, 10.0 ** -(i + 2), 0.01) for i in range(features)
        ),
        report_url="http://monitor.example/runs/7",
    )


def test_bot_token_posts_block_kit_to_the_channel(fake: FakeSlack) -> None:
    result = bot(fake).send(message(), idempotency_key="k1")
    assert (result.ok, result.status_code) == (True, 200)
    (request,) = fake.delivered()
    assert request.path == "/api/chat.postMessage"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    body = request.json
    assert body["channel"] == "#ml-alerts" and body["text"] == "[FIRING:1] credit (credit-v3): auc-drop"
    header, fields, breached, features, actions = body["blocks"]
    assert header["text"]["text"] == ":rotating_light: FIRING: credit · 1 alert"
    assert [f["text"] for f in fields["fields"]] == [
        "*Model*\ncredit-v3",
        "*Monitor*\ncredit",
        "*Window*\n2026-03-01 00:00 → 2026-03-02 00:00 UTC",
        "*Severity*\ncritical",
    ]
    assert (
        breached["text"]["text"]
        == "*What breached*\n• *auc-drop* (critical): roc_auc = 0.61 (&lt; 0.7: breached)"
    )
    # strongest drift first: f2 (p=1e-4) is furthest past its threshold 0.01
    assert features["text"]["text"].splitlines()[1:] == [
        "• `f2` ks p=0.0001 (threshold 0.01)",
        "• `f1` ks p=0.001 (threshold 0.01)",
        "• `f0` ks p=0.01 (threshold 0.01)",
    ]
    assert actions["elements"][0]["url"] == "http://monitor.example/runs/7"


def test_incoming_webhook_sends_the_idempotency_key(fake: FakeSlack) -> None:
    result = hook(fake).send(message(), idempotency_key="k2")
    (request,) = fake.delivered()
    assert result.ok and request.headers["Idempotency-Key"] == "k2"
    assert request.json["blocks"][0]["type"] == "header"


@pytest.mark.parametrize("way", ["bot", "hook"])
def test_429_is_retryable_with_its_retry_after(fake: FakeSlack, way: str) -> None:
    fake.fail_next(rate_limited(37, api=way == "bot"))
    notifier = bot(fake) if way == "bot" else hook(fake)
    result = notifier.send(message(), idempotency_key="k")
    assert (result.ok, result.retryable, result.status_code, result.retry_after) == (False, True, 429, 37.0)
    assert len(fake.requests) == 1  # slack-sdk's own retry (a sleep) is off: the outbox waits instead


@pytest.mark.parametrize("way", ["bot", "hook"])
def test_500_is_retryable(fake: FakeSlack, way: str) -> None:
    fake.fail_next(server_error(api=way == "bot"))
    result = (bot(fake) if way == "bot" else hook(fake)).send(message(), idempotency_key="k")
    assert (result.ok, result.retryable, result.status_code) == (False, True, 500)


def test_an_invalid_token_is_a_clear_configuration_error_not_retried(fake: FakeSlack) -> None:
    result = bot(fake, token="xoxb-0000-revoked-token").send(message(), idempotency_key="k")
    assert (result.ok, result.retryable) == (False, False)
    assert (
        result.error
        == "Slack 'ml' rejected the message: invalid_auth (the bot token is not valid); not retried"
    )


def test_an_unknown_channel_is_named_and_not_retried(fake: FakeSlack) -> None:
    result = bot(fake, channel="#gone").send(message(), idempotency_key="k")
    assert (result.ok, result.retryable) == (False, False)
    assert result.error == (
        "Slack 'ml' rejected the message: channel_not_found (the channel does not exist or the bot "
        "cannot see it) (channel #gone); not retried"
    )


def test_unreachable_slack_is_retryable_and_names_no_url() -> None:
    server = FakeSlack()
    url = server.add_hook(HOOK)
    server.httpd.server_close()  # nothing listens on that port any more
    result = SlackNotifier("ml", webhook_url=url, timeout=2).send(message(), idempotency_key="k")
    assert (result.ok, result.retryable) == (False, True)
    assert result.error is not None and result.error.startswith("Slack 'ml' unreachable")
    assert HOOK not in result.error


def test_a_test_message(fake: FakeSlack) -> None:
    sent = hook(fake).send(TestMessage(channel="ml", text="hello <team>", sent_at="now"), idempotency_key="t")
    (request,) = fake.delivered()
    assert sent.ok and request.json["blocks"][0]["text"]["text"] == ":white_check_mark: hello &lt;team&gt;"
