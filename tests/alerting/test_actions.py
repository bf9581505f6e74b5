"""Rollback and promote webhooks against a receiver the test starts (a real HTTP server): signed, the same
Idempotency-Key on a retried delivery, one request per cooldown, the alert's labels and version carried,
and a dry run that calls nothing. The MLflow side: test_mlflow_actions.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from monitor.notify import AlertGroupMessage
from monitor.notify.actions import ActionNotifier
from monitor.notify.messages import ActionRequest
from monitor.notify.registry import MlflowRegistry
from tests.alerting.fixtures import RETRAIN_SECRET, HarnessFactory, drift_facts
from tests.conftest import DAY0
from tests.notify.servers import Answer, Received, WebhookReceiver, _Server, verify_signature
from tests.servers import free_port

NOW = DAY0 + timedelta(days=10)
DRIFTING = drift_facts(["a", "b"], ["a", "b", "c"])
CLEAR = drift_facts([], ["a", "b", "c"])
# A rule may name the version its alerts are about (per-segment rules set `segment` themselves).
SEGMENT = {"version": "v4"}


def channel(kind: str, receiver: WebhookReceiver, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "url": f"{receiver.url}/{kind}", "secret": RETRAIN_SECRET, **extra}


def rule(action: str, **extra: Any) -> dict[str, Any]:
    return {"name": "canary", "signal": "drift_share", "threshold": 0.3, "action": action, **extra}


def action_events(h: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(e, d) for e, _, d in h.events() if e.split("_")[0] in ("rollback", "promote")]


def test_a_rollback_is_signed_retried_under_one_key_and_sent_once_per_cooldown(
    harness: HarnessFactory, receiver: WebhookReceiver
) -> None:
    h = harness(
        [rule("rollback", labels=SEGMENT)], {"rollback": channel("rollback", receiver, cooldown="24h")}
    )
    receiver.fail_next(Answer(500, "deployer restarting"))
    h.evaluate(0, DRIFTING, now=NOW)
    h.deliver(NOW)  # answered 500: retried later
    h.deliver(NOW + timedelta(hours=1))  # answered 200
    h.evaluate(1, CLEAR, now=NOW + timedelta(hours=2))
    h.evaluate(2, DRIFTING, now=NOW + timedelta(hours=3))  # fires again within the cooldown: refused
    h.deliver(NOW + timedelta(hours=3))
    h.evaluate(3, CLEAR, now=NOW + timedelta(hours=25))
    h.evaluate(4, DRIFTING, now=NOW + timedelta(hours=26))  # after the cooldown: a new rollback
    h.deliver(NOW + timedelta(hours=26))

    first, retried, later = receiver.requests
    assert [r.answered for r in (first, retried, later)] == [500, 200, 200]
    for request in (first, retried, later):
        assert verify_signature(RETRAIN_SECRET, request.headers["Monitor-Signature"], request.body)
        assert request.headers["Monitor-Event"] == "rollback" and request.path == "/rollback"
    assert (
        first.headers["Idempotency-Key"]
        == retried.headers["Idempotency-Key"]
        == first.json["idempotency_key"]
    )
    assert later.headers["Idempotency-Key"] != first.headers["Idempotency-Key"]
    assert first.body == retried.body  # the same request; only the signature's time may differ
    payload = first.json
    assert (payload["kind"], payload["action"], payload["model"], payload["monitor"]) == (
        "rollback",
        "rollback",
        "toy",
        "m",
    )
    assert payload["labels"] == {"rule": "canary", **SEGMENT}
    assert (payload["version"], payload["model_version"], payload["registry"]) == (1, "v4", None)
    assert payload["window"] == {"start": "2026-06-01T00:00:00+00:00", "end": "2026-06-02T00:00:00+00:00"}
    assert [a["rule"] for a in payload["alerts"]] == ["canary"]

    events = action_events(h)
    assert [e for e, _ in events] == ["rollback_requested", "rollback_cooldown", "rollback_requested"]
    key = first.headers["Idempotency-Key"]
    assert events[0][1] == {"channel": "rollback", "idempotency_key": key, "model_version": "v4"}
    assert events[1][1] == {"channel": "rollback", "cooldown_until": (NOW + timedelta(hours=24)).isoformat()}
    (row, _) = [r for r in h.outbox() if r.kind == "rollback"]
    assert [(a.outcome, a.status_code, a.detail) for a in h.attempts(row.id)] == [
        ("retry", 500, "webhook answered HTTP 500"),
        ("delivered", 200, "webhook answered HTTP 200"),
    ]


def test_a_promotion_carries_the_version_its_alert_names_or_is_skipped_without_one(
    harness: HarnessFactory, receiver: WebhookReceiver
) -> None:
    rules = [
        rule("promote", labels={"version": "v7"}),
        {**rule("promote"), "name": "unversioned", "signal": "column_drift"},
    ]
    h = harness(rules, {"promote": channel("promote", receiver)})
    h.evaluate(0, DRIFTING, now=NOW)
    h.deliver(NOW)
    (request,) = receiver.requests
    assert request.headers["Monitor-Event"] == "promote"
    assert (request.json["kind"], request.json["model_version"]) == ("promote", "v7")
    assert request.json["labels"] == {"rule": "canary", "version": "v7"}
    events = action_events(h)
    assert sorted(e for e, _ in events) == ["promote_requested", "promote_skipped", "promote_skipped"]
    skipped = [d for e, d in events if e == "promote_skipped"]
    assert all("no `version` or `segment` label" in d["reason"] for d in skipped)


def test_a_dry_run_records_what_it_would_do_and_calls_nothing(
    harness: HarnessFactory, receiver: WebhookReceiver
) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # were it called, the attempt would fail
    mlflow = {"tracking_uri": down, "model_name": "credit"}
    h = harness([rule("rollback")], {"rollback": channel("rollback", receiver, mlflow=mlflow, dry_run=True)})
    h.evaluate(0, DRIFTING, now=NOW)
    assert h.deliver(NOW) == 1
    assert receiver.requests == []
    (row,) = h.outbox()
    (attempt,) = h.attempts(row.id)
    assert (row.status, attempt.outcome) == ("delivered", "delivered")
    assert attempt.detail == (
        "dry run: would move MLflow credit alias champion back to champion_previous's version, or the "
        f"highest below it; would POST the signed rollback request to {receiver.url}"
    )
    ((event, details),) = action_events(h)
    assert event == "rollback_requested" and details["dry_run"] is True


def test_action_via_picks_the_channel_among_several(
    harness: HarnessFactory, receiver: WebhookReceiver
) -> None:
    notifiers = {
        "blue": channel("rollback", receiver, url=f"{receiver.url}/blue"),
        "green": channel("rollback", receiver, url=f"{receiver.url}/green"),
    }
    h = harness([rule("rollback", action_via="green")], notifiers)
    h.evaluate(0, DRIFTING, now=NOW)
    h.deliver(NOW)
    assert [r.path for r in receiver.requests] == ["/green"]


class Refusing(_Server):
    """Answers every request as it is told: MLflow having a bad moment, or refusing for good."""

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.scripted = answer

    def answer(self, request: Received) -> Answer:
        return self.scripted


@pytest.mark.parametrize(
    ("answer", "retryable", "retry_after"),
    [
        (Answer(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}), True, None),
        (
            Answer(429, {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow"}, {"Retry-After": "7"}),
            True,
            7.0,
        ),
        (Answer(403, {"error_code": "PERMISSION_DENIED", "message": "no EDIT"}), False, None),
    ],
)
def test_what_mlflow_answers_decides_whether_the_delivery_is_retried(
    answer: Answer, retryable: bool, retry_after: float | None
) -> None:
    server = Refusing(answer)
    server.start()
    try:
        registry = MlflowRegistry(server.url, "credit", alias="champion", previous_alias="champion_previous")
        notifier = ActionNotifier("rb", "rollback", registry=registry)
        request = ActionRequest("m", "m", "why", "s", "e", (), {}, None, (), "t", action="rollback")
        result = notifier.send(request, idempotency_key="k")
    finally:
        server.stop()
    assert (result.ok, result.retryable, result.status_code, result.retry_after) == (
        False,
        retryable,
        answer.status,
        retry_after,
    )
    assert (result.error or "").startswith(
        f"MLflow (GET registered-models/get, model 'credit') answered HTTP {answer.status}"
    )
    assert [r.path for r in server.requests] == ["/api/2.0/mlflow/registered-models/get?name=credit"]


def test_an_action_channel_takes_only_its_own_action() -> None:
    notifier = ActionNotifier("rb", "rollback", dry_run=True)
    promote = ActionRequest(
        "m", "m", "why", "s", "e", (), {}, None, (), "t", action="promote", model_version="v4"
    )
    group = AlertGroupMessage("m", "toy", "firing", "firing", "a", "b", {}, ())
    for message in (promote, group):
        result = notifier.send(message, idempotency_key="k")
        assert (result.ok, result.retryable) == (False, False)
        assert "'rb' takes rollback requests and test messages" in (result.error or "")
