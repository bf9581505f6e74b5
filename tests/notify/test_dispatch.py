"""The dispatcher against real servers: retries with backoff, Retry-After, dead letters, resending,
concurrent dispatchers, and a dispatcher killed with SIGKILL mid-request."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.notify.base import Delivery
from monitor.notify.dispatch import BASE_DELAY, MAX_DELAY, backoff
from monitor.notify.messages import Message, TestMessage, to_payload
from monitor.services import alerts as alert_service
from monitor.store.engine import transaction
from monitor.store.outbox import enqueue
from tests.alerting.fixtures import RETRAIN_SECRET, SLACK_HOOK_SECRET, HarnessFactory, drift_facts
from tests.conftest import DAY0
from tests.notify.servers import FakeSlack, WebhookReceiver, rate_limited, server_error, verify_signature

NOW = DAY0 + timedelta(days=10)
DRIFTING = drift_facts(["a", "b"], ["a", "b", "c"])
RULE = {"name": "drift", "signal": "drift_share", "threshold": 0.3, "notify": ["slack"]}


def slack(fake: FakeSlack, **settings: Any) -> dict[str, Any]:
    return {"type": "slack", "webhook_url": fake.add_hook(SLACK_HOOK_SECRET), **settings}


def test_backoff_doubles_with_jitter_within_bounds() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** (attempt - 1))
        delays = [backoff(attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 150  # jittered, not one value


def test_slack_down_for_several_attempts_still_ends_in_exactly_one_message(
    harness: HarnessFactory, fake_slack: FakeSlack
) -> None:
    h = harness([RULE], {"slack": slack(fake_slack)})
    fake_slack.fail_next(server_error(), server_error(), rate_limited(120), server_error())
    h.evaluate(0, DRIFTING, now=NOW)
    clock = NOW
    for _ in range(10):
        h.deliver(clock)
        (row,) = h.outbox()
        if row.status != "pending":
            break
        h.deliver(row.next_attempt_at - timedelta(seconds=1))  # not yet due: nothing is sent
        clock = row.next_attempt_at
    assert row.status == "delivered" and row.attempts == 5
    assert len(fake_slack.requests) == 5 and len(fake_slack.delivered()) == 1
    assert {r.headers["Idempotency-Key"] for r in fake_slack.requests} == {row.idempotency_key}
    attempts = h.attempts(row.id)
    assert [(a.outcome, a.status_code) for a in attempts] == [
        ("retry", 500),
        ("retry", 500),
        ("retry", 429),
        ("retry", 500),
        ("delivered", 200),
    ]
    assert attempts[2].retry_after == 120
    # Retry-After is honoured: the attempt after the 429 waited at least 120 s
    answered = attempts[2].finished_at
    assert answered is not None and attempts[3].started_at - answered >= timedelta(seconds=120)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (
            "unknown_hook",
            "invalid_token (the token or webhook is not valid (revoked?)) (HTTP 403); not retried",
        ),
        ("archived_channel", "channel_not_found"),
    ],
)
def test_a_rejected_webhook_is_a_dead_letter_at_once_with_the_reason(
    harness: HarnessFactory, fake_slack: FakeSlack, setup: str, expected: str
) -> None:
    if setup == "unknown_hook":
        url = fake_slack.url + FakeSlack.HOOK_PATH + "revoked-hook"
    else:
        url = fake_slack.add_hook(SLACK_HOOK_SECRET, outcome="channel_not_found")
    h = harness([RULE], {"slack": {"type": "slack", "webhook_url": url}})
    h.evaluate(0, DRIFTING, now=NOW)
    h.deliver(NOW)
    h.deliver(NOW + timedelta(hours=2))
    (row,) = h.outbox()
    assert (row.status, row.attempts, len(fake_slack.requests)) == ("dead", 1, 1)
    assert expected in (row.last_error or "")
    assert "revoked-hook" not in (row.last_error or "") and SLACK_HOOK_SECRET not in (row.last_error or "")
    assert [a.outcome for a in h.attempts(row.id)] == ["failed"]


def test_past_its_maximum_age_a_notification_is_a_dead_letter_and_can_be_resent(
    harness: HarnessFactory, fake_slack: FakeSlack
) -> None:
    h = harness([RULE], {"slack": slack(fake_slack)}, alerting={"delivery_max_age": "1h"})
    fake_slack.fail_next(*[server_error() for _ in range(100)])
    h.evaluate(0, DRIFTING, now=NOW)
    clock = NOW
    while True:
        h.deliver(clock)
        (row,) = h.outbox()
        if row.status == "dead":
            break
        clock = row.next_attempt_at
        assert clock <= NOW + timedelta(hours=1)  # retries never wait past the age limit
    assert (row.last_error or "").startswith(f"not delivered by {(NOW + timedelta(hours=1)).isoformat()}")
    assert "answered HTTP 500" in (row.last_error or "")
    sent = len(fake_slack.requests)
    items, counts = alert_service.list_notifications(h.sessions, status="dead")
    assert [i.id for i in items] == [row.id] and counts["dead"] == 1
    fake_slack.script.clear()
    later = NOW + timedelta(days=2)
    again = alert_service.resend(h.sessions, row.id, now=later, max_age=timedelta(hours=1))
    assert again.status == "pending"
    assert h.deliver(later) == 1
    assert len(fake_slack.requests) == sent + 1
    assert fake_slack.requests[-1].headers["Idempotency-Key"] == row.idempotency_key
    with pytest.raises(alert_service.AlertInputError, match="delivered, not a dead letter"):
        alert_service.resend(h.sessions, row.id, now=later, max_age=timedelta(hours=1))


def test_two_dispatchers_at_once_deliver_each_row_once(
    harness: HarnessFactory, fake_slack: FakeSlack
) -> None:
    h = harness([RULE], {"slack": slack(fake_slack)})
    with transaction(h.sessions) as session:
        for i in range(12):
            message = TestMessage(channel="slack", text=f"message {i}", sent_at=NOW.isoformat())
            enqueue(
                session,
                channel="slack",
                kind="test",
                key=f"key-{i}",
                payload=to_payload(message),
                alert_id=None,
                now=NOW,
                max_age=h.config.alerting.delivery_max_age,
            )
    fake_slack.delay = 0.05
    counts: list[int] = []
    threads = [
        threading.Thread(target=lambda n=n: counts.append(h.deliver(NOW, dispatcher=f"d{n}")))
        for n in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    keys = [r.headers["Idempotency-Key"] for r in fake_slack.requests]
    assert sorted(keys) == sorted(f"key-{i}" for i in range(12))  # each exactly once
    assert sum(counts) == 12 and all(c > 0 for c in counts)  # both took part
    assert {r.status for r in h.outbox()} == {"delivered"}


def test_a_crash_between_commit_and_delivery_delivers_after_restart(
    harness: HarnessFactory, fake_slack: FakeSlack
) -> None:
    before = harness([RULE], {"slack": slack(fake_slack)})
    before.evaluate(0, DRIFTING, now=NOW)  # committed; the process "dies" before delivering
    before.close()
    after = harness([RULE], {"slack": slack(fake_slack)})
    assert after.deliver(NOW + timedelta(minutes=5)) == 1
    assert [r.json["text"] for r in fake_slack.delivered()] == ["[FIRING:1] m (toy): drift"]


def test_a_dispatcher_killed_mid_delivery_delivers_after_restart_with_the_same_key(
    harness: HarnessFactory, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    hook = {"type": "webhook", "url": receiver.url + "/hooks/ml", "secret": RETRAIN_SECRET}
    h = harness([{**RULE, "notify": ["hook"]}], {"hook": hook})
    now = datetime.now(UTC)  # the subprocess reads the real clock
    h.evaluate(0, DRIFTING, now=now)
    config = h.write_config(tmp_path / "alerts.yaml")
    receiver.hold_next = 1  # the receiver keeps the first request open
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    dispatcher = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "alerts", "deliver", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        receiver.wait_for(1, timeout=60)
        (row,) = h.outbox()
        assert (row.status, row.attempts) == ("sending", 1)
    finally:
        dispatcher.send_signal(signal.SIGKILL)
        dispatcher.communicate(timeout=30)
    assert dispatcher.returncode == -signal.SIGKILL
    receiver.release()  # the receiver got and processed it; the dispatcher never heard back
    # A new dispatcher, after the dead one's lease ran out, sends the same notification again.
    assert h.deliver(now + timedelta(minutes=5)) == 1
    first, second = receiver.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == row.idempotency_key
    assert all(
        verify_signature(RETRAIN_SECRET, r.headers["Monitor-Signature"], r.body) for r in (first, second)
    )
    assert receiver.processed == [row.idempotency_key]  # the receiver did the work once
    (row,) = h.outbox()
    assert (row.status, row.attempts) == ("delivered", 2)
    assert [a.outcome for a in h.attempts(row.id)] == ["abandoned", "delivered"]


class _AbsurdChannel:
    """A third-party channel that asks for a wait no timedelta can hold."""

    name = "hook"

    def send(self, message: Message, *, idempotency_key: str) -> Delivery:
        return Delivery(ok=False, retryable=True, status_code=429, retry_after=1e20, error="rate limited")

    def redact(self, text: str) -> str:
        return text


def test_one_rows_unstorable_outcome_does_not_block_the_other_rows(
    harness: HarnessFactory, fake_slack: FakeSlack, receiver: WebhookReceiver
) -> None:
    rule = {**RULE, "notify": ["hook", "slack"]}
    h = harness([rule], {"slack": slack(fake_slack), "hook": {"type": "webhook", "url": receiver.url}})
    h.notifiers["hook"] = _AbsurdChannel()
    h.evaluate(0, DRIFTING, now=NOW)
    assert h.deliver(NOW) == 1
    rows = {row.channel: row for row in h.outbox()}
    assert rows["slack"].status == "delivered" and len(fake_slack.delivered()) == 1
    hook = rows["hook"]
    assert hook.status == "pending" and "storing the outcome failed (OverflowError" in (hook.last_error or "")
    assert hook.next_attempt_at - NOW <= timedelta(seconds=20)  # ordinary backoff
    assert [a.outcome for a in h.attempts(hook.id)] == ["retry"]
