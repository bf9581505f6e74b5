"""The webhook and retrain channels against a receiver on 127.0.0.1, and the signature format."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import pytest

from monitor.notify import RetrainRequest, TestMessage
from monitor.notify.http import retry_after_seconds
from monitor.notify.retrain import RetrainNotifier
from monitor.notify.signing import sign, verify
from monitor.notify.webhook import WebhookNotifier
from tests.notify.servers import Answer, WebhookReceiver, verify_signature

SECRET = "whsec_test_signing_key_93a1"


@pytest.fixture
def plain() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(secret=None)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def signed() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(secret=SECRET)
    server.start()
    yield server
    server.stop()


def request(model: str = "credit-v3") -> RetrainRequest:
    return RetrainRequest(
        model=model,
        monitor="credit",
        reason="drift: drift share = 0.5 (>= 0.3: breached)",
        window_start="2026-03-01T00:00:00+00:00",
        window_end="2026-03-02T00:00:00+00:00",
        drifted_features=(),
        metrics={"roc_auc": 0.7},
        report_url="http://monitor.example/runs/3",
        alerts=(),
        requested_at="2026-03-02T00:15:00+00:00",
    )


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"a":1}'
    header = sign(SECRET, body, timestamp=1_700_000_000)
    expected = hmac.new(SECRET.encode(), b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify(SECRET, header, body, now=1_700_000_100)
    assert not verify(SECRET, header, b'{"a":2}', now=1_700_000_100)  # tampered body
    assert not verify("other-secret", header, body, now=1_700_000_100)  # wrong key
    assert not verify(SECRET, header, body, now=1_700_000_000 + 301)  # a replay, too old
    assert verify(SECRET, f"t=1700000000,v1={'0' * 64},v1={expected}", body, now=1_700_000_000)  # rotation
    assert not verify(SECRET, "v1=abc", body)


def test_a_plain_webhook_posts_the_json_payload(plain: WebhookReceiver) -> None:
    notifier = WebhookNotifier("hook", plain.url + "/in")
    result = notifier.send(TestMessage(channel="hook", text="hi", sent_at="t0"), idempotency_key="key-1")
    (received,) = plain.requests
    assert result.ok and received.path == "/in"
    assert received.headers["Idempotency-Key"] == "key-1" and received.headers["Monitor-Event"] == "test"
    assert received.headers["Content-Type"] == "application/json"
    assert received.json == {
        "version": 1,
        "kind": "test",
        "channel": "hook",
        "text": "hi",
        "sent_at": "t0",
        "idempotency_key": "key-1",
    }
    assert "Monitor-Signature" not in received.headers


def test_a_retrain_request_is_signed_and_a_tampered_body_does_not_verify(signed: WebhookReceiver) -> None:
    result = RetrainNotifier("retrain", signed.url + "/retrain", secret=SECRET).send(
        request(), idempotency_key="r-1"
    )
    (received,) = signed.requests
    assert result.ok and received.answered == 200
    header = received.headers["Monitor-Signature"]
    assert verify_signature(SECRET, header, received.body)  # the receiver's own check
    assert verify(SECRET, header, received.body)  # and ours agree
    tampered = json.dumps({**received.json, "model": "another-model"}, separators=(",", ":")).encode()
    assert not verify_signature(SECRET, header, tampered)
    assert not verify(SECRET, header, tampered)
    assert received.json["kind"] == "retrain" and received.json["window"] == {
        "start": "2026-03-01T00:00:00+00:00",
        "end": "2026-03-02T00:00:00+00:00",
    }


def test_a_receiver_that_rejects_the_signature_is_not_retried(signed: WebhookReceiver) -> None:
    result = RetrainNotifier("retrain", signed.url, secret="not-the-receivers-key").send(
        request(), idempotency_key="r-2"
    )
    assert (result.ok, result.retryable, result.status_code) == (False, False, 401)
    assert result.error == "webhook 'retrain' refused the request with HTTP 401: bad signature"


def test_the_retrain_channel_refuses_alert_messages() -> None:
    from monitor.notify import AlertGroupMessage

    msg = AlertGroupMessage("m", "toy", "firing", "firing", "a", "b", {}, ())
    result = RetrainNotifier("retrain", "http://127.0.0.1:9/", secret=SECRET).send(msg, idempotency_key="x")
    assert (result.ok, result.retryable) == (False, False)
    assert "takes retrain, test messages, not alert_group" in (result.error or "")


def test_server_errors_and_rate_limits_are_retryable(plain: WebhookReceiver) -> None:
    plain.fail_next(Answer(503, "busy"), Answer(429, "slow down", {"Retry-After": "12"}))
    notifier = WebhookNotifier("hook", plain.url)
    first = notifier.send(TestMessage("hook", "x", "t"), idempotency_key="k")
    second = notifier.send(TestMessage("hook", "x", "t"), idempotency_key="k")
    assert (first.retryable, first.status_code) == (True, 503)
    assert (second.retryable, second.retry_after) == (True, 12.0)


def test_retry_after_as_an_http_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("Sun, 01 Mar 2026 12:01:30 GMT", now=now) == 90.0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds("-5") is None  # not delay-seconds (RFC 9110: digits only)
    assert retry_after_seconds("Sun, 01 Mar 2099 12:00:00 GMT", now=now) == 86_400.0  # capped at a day


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("inf", None),
        ("1e20", None),
        ("1_000", None),
        ("nan", None),
        ("2.5", None),
        ("99999999999999999999", 86_400.0),
        ("9" * 5000, 86_400.0),
    ],
)
def test_retry_after_accepts_only_delay_seconds_capped_at_a_day(header: str, expected: float | None) -> None:
    assert retry_after_seconds(header) == expected


def test_an_absurd_retry_after_from_a_real_server_is_ignored(plain: WebhookReceiver) -> None:
    plain.fail_next(Answer(429, "slow down", {"Retry-After": "1e20"}))
    result = WebhookNotifier("hook", plain.url).send(TestMessage("hook", "x", "t"), idempotency_key="k")
    assert (result.retryable, result.status_code, result.retry_after) == (True, 429, None)


def test_sign_uses_the_current_time_by_default() -> None:
    header = sign(SECRET, b"{}")
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert abs(timestamp - time.time()) < 5


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirecting_endpoint_is_not_followed_nor_delivered(plain: WebhookReceiver, status: int) -> None:
    plain.fail_next(Answer(status, "moved", {"Location": "http://elsewhere.example/hooks/s3cr3t?token=abc"}))
    notifier = WebhookNotifier("hook", plain.url + "/old")
    result = notifier.send(TestMessage("hook", "x", "t"), idempotency_key="k")
    assert (result.ok, result.retryable, result.status_code) == (False, False, status)
    assert result.error == (
        f"webhook 'hook' endpoint redirects to http://elsewhere.example (HTTP {status}); "
        "redirects are not followed: configure the final URL"
    )
    assert [r.path for r in plain.requests] == ["/old"]  # one POST, no follow-up request


def test_a_receiver_echoing_the_secret_path_does_not_leak_it(plain: WebhookReceiver) -> None:
    token = "hookpath-3f9a7c2e51"
    plain.fail_next(Answer(404, f"no route for /hooks/{token} (method POST)"))
    result = WebhookNotifier("hook", f"{plain.url}/hooks/{token}").send(
        TestMessage("hook", "x", "t"), idempotency_key="k"
    )
    assert result.status_code == 404 and result.error is not None
    assert token not in result.error and "***" in result.error
