"""Retraining webhooks: signed, idempotent, one per cooldown per model, with the documented payload."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitor.store import alerts as repo
from monitor.store.engine import transaction
from tests.alerting.fixtures import RETRAIN_SECRET, SLACK_HOOK_SECRET, HarnessFactory, drift_facts
from tests.conftest import DAY0
from tests.notify.servers import FakeSlack, WebhookReceiver, verify_signature

NOW = DAY0 + timedelta(days=10)
DRIFTING = drift_facts(["a", "b"], ["a", "b", "c"])
CLEAR = drift_facts([], ["a", "b", "c"])
PAYLOAD_KEYS = {
    "version",
    "kind",
    "model",
    "monitor",
    "reason",
    "window",
    "drifted_features",
    "metrics",
    "report_url",
    "alerts",
    "requested_at",
    "idempotency_key",
}


def notifiers(fake_slack: FakeSlack, receiver: WebhookReceiver, cooldown: str = "24h") -> dict[str, Any]:
    return {
        "slack": {"type": "slack", "webhook_url": fake_slack.add_hook(SLACK_HOOK_SECRET)},
        "retrain": {
            "type": "retrain",
            "url": receiver.url + "/retrain",
            "secret": RETRAIN_SECRET,
            "cooldown": cooldown,
        },
    }


def drift_rule(**extra: Any) -> dict[str, Any]:
    return {
        "name": "drift",
        "signal": "drift_share",
        "threshold": 0.3,
        "notify": ["slack"],
        "action": "retrain",
        **extra,
    }


def test_a_retraining_is_requested_once_per_cooldown_and_signed(
    harness: HarnessFactory, fake_slack: FakeSlack, receiver: WebhookReceiver
) -> None:
    h = harness([drift_rule()], notifiers(fake_slack, receiver))
    steps = [
        (0, DRIFTING, NOW),  # fires: retraining requested
        (1, DRIFTING, NOW + timedelta(hours=1)),  # still firing: no new cause
        (2, CLEAR, NOW + timedelta(hours=2)),
        (3, DRIFTING, NOW + timedelta(hours=3)),  # fires again within the cooldown: refused, recorded
        (4, CLEAR, NOW + timedelta(hours=25)),
        (5, DRIFTING, NOW + timedelta(hours=26)),  # fires after the cooldown: a second request
    ]
    for day, facts, now in steps:
        h.evaluate(day, facts, now=now)
        h.deliver(now)
    first, second = receiver.requests
    assert all(
        verify_signature(RETRAIN_SECRET, r.headers["Monitor-Signature"], r.body) for r in (first, second)
    )
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]
    assert receiver.processed == [first.headers["Idempotency-Key"], second.headers["Idempotency-Key"]]
    retrain_events = [(e, d) for e, _, d in h.events() if e.startswith("retrain")]
    assert [e for e, _ in retrain_events] == ["retrain_requested", "retrain_cooldown", "retrain_requested"]
    assert retrain_events[1][1] == {
        "channel": "retrain",
        "cooldown_until": (NOW + timedelta(hours=24)).isoformat(),
    }
    payload = first.json
    assert set(payload) == PAYLOAD_KEYS
    assert payload["kind"] == "retrain" and payload["model"] == "toy" and payload["monitor"] == "m"
    assert payload["reason"] == "drift: drift share = 0.6667 (>= 0.3: breached)"
    assert payload["window"] == {"start": "2026-06-01T00:00:00+00:00", "end": "2026-06-02T00:00:00+00:00"}
    assert [(f["column"], f["test"], f["p_value"]) for f in payload["drifted_features"]] == [
        ("a", "ks", 1e-6),
        ("b", "ks", 1e-6),
    ]
    assert payload["metrics"] == {"roc_auc": 0.8}
    assert payload["report_url"] == "http://monitor.example/runs/1"
    assert payload["idempotency_key"] == first.headers["Idempotency-Key"]
    assert [(a["rule"], a["status"], a["value"]) for a in payload["alerts"]] == [("drift", "firing", 2 / 3)]
    # Slack heard of all three firings and both resolutions: the cooldown holds back retraining, not alerts.
    assert [r.json["text"].split("]")[0] for r in fake_slack.delivered()] == [
        "[FIRING:1",
        "[RESOLVED",
        "[FIRING:1",
        "[RESOLVED",
        "[FIRING:1",
    ]


def test_alerts_firing_together_make_one_retraining(
    harness: HarnessFactory, fake_slack: FakeSlack, receiver: WebhookReceiver
) -> None:
    rules = [
        drift_rule(),
        {"name": "feature-drift", "signal": "column_drift", "notify": ["slack"], "action": "retrain"},
    ]
    h = harness(rules, notifiers(fake_slack, receiver))
    h.evaluate(0, DRIFTING, now=NOW)
    h.deliver(NOW)
    (request,) = receiver.requests
    assert [(a["rule"], a["labels"].get("column")) for a in request.json["alerts"]] == [
        ("drift", None),
        ("feature-drift", "a"),
        ("feature-drift", "b"),
    ]


def test_a_silenced_cause_requests_no_retraining(
    harness: HarnessFactory, fake_slack: FakeSlack, receiver: WebhookReceiver
) -> None:
    h = harness([drift_rule()], notifiers(fake_slack, receiver))
    with transaction(h.sessions) as session:
        repo.add_silence(
            session=session,
            matchers=["model=toy"],
            author="ana",
            comment="known shift, retraining by hand",
            starts_at=NOW,
            ends_at=NOW + timedelta(days=1),
            now=NOW,
        )
    h.evaluate(0, DRIFTING, now=NOW)
    h.deliver(NOW)
    assert receiver.requests == [] and fake_slack.requests == []


def test_the_cooldown_is_per_model_and_channel(harness: HarnessFactory, fake_slack: FakeSlack) -> None:
    h = harness([], {})
    hour = timedelta(hours=1)

    def take(channel: str, model: str, at: timedelta) -> bool:
        with transaction(h.sessions) as session:
            return repo.take_action_slot(
                session=session, channel=channel, model=model, now=NOW + at, cooldown=24 * hour, key="k"
            )

    assert take("retrain", "credit", 0 * hour)
    assert not take("retrain", "credit", 23 * hour)
    assert take("retrain", "fraud", 23 * hour)
    assert take("other-hook", "credit", 23 * hour)
    assert take("retrain", "credit", 24 * hour)
