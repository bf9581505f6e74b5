"""The alert lifecycle end to end: rules on a window's facts, a real database (SQLite and PostgreSQL),
the outbox, and a fake Slack on 127.0.0.1. The clock is injected: nothing sleeps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitor.store import alerts as repo
from monitor.store.engine import transaction
from tests.alerting.fixtures import SLACK_HOOK_SECRET, HarnessFactory, drift_facts
from tests.conftest import DAY0
from tests.notify.servers import FakeSlack, Received

NOW = DAY0 + timedelta(days=10)
COLUMNS = ["a", "b", "c"]
DRIFTING = drift_facts(["a", "b"], COLUMNS)  # drift share 2/3
CLEAR = drift_facts([], COLUMNS)


def slack(fake: FakeSlack, **settings: Any) -> dict[str, Any]:
    return {"type": "slack", "webhook_url": fake.add_hook(SLACK_HOOK_SECRET), **settings}


def share_rule(**extra: Any) -> dict[str, Any]:
    return {"name": "drift", "signal": "drift_share", "threshold": 0.3, "notify": ["slack"], **extra}


def text_of(request: Received) -> str:
    """Every text of a Block Kit message, one per line."""
    lines: list[str] = []
    for block in request.json["blocks"]:
        for part in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(part, dict):
                text = part["text"]  # a text object's string, or a button's text object
                lines.append(text if isinstance(text, str) else text["text"])
    return "\n".join(lines)


def buttons(request: Received) -> dict[str, str]:
    return {
        e["text"]["text"]: e["url"]
        for b in request.json["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }


def test_for_two_fires_on_the_second_breaching_window_not_the_first(
    harness: HarnessFactory, fake_slack: FakeSlack
) -> None:
    h = harness([share_rule(**{"for": 2})], {"slack": slack(fake_slack)})
    assert h.evaluate(0, DRIFTING, now=NOW) == []
    h.deliver(NOW)
    assert fake_slack.requests == []
    assert h.evaluate(1, DRIFTING, now=NOW + timedelta(hours=1)) == ["drift"]
    assert h.deliver(NOW + timedelta(hours=1)) == 1
    (message,) = fake_slack.delivered()
    text = text_of(message)
    assert ":rotating_light: FIRING: m · 1 alert" in text
    assert "*Model*\ntoy" in text and "*Window*\n2026-06-02 00:00 → 2026-06-03 00:00 UTC" in text
    assert "*drift* (warning): drift share = 0.6667 (&gt;= 0.3: breached)" in text
    assert "*Top drifted features* (2)\n• `a` ks p=1e-06 (threshold 0.05)\n• `b` ks p=1e-06" in text
    assert buttons(message) == {
        "Open the run report": "http://monitor.example/runs/2",
        "Daily report": "http://monitor.example/reports/m/2026-06-02.html",  # the window's day
        "Alerts": "http://monitor.example/alerts",
    }
    assert message.json["text"] == "[FIRING:1] m (toy): drift"
    assert [e for e, _, _ in h.events()] == ["pending", "fired", "notified"]


def test_no_repeat_before_repeat_interval_then_a_repeat_then_a_resolution(
    harness: HarnessFactory, fake_slack: FakeSlack
) -> None:
    h = harness([share_rule()], {"slack": slack(fake_slack, repeat_interval="4h")})
    h.evaluate(0, DRIFTING, now=NOW)
    h.deliver(NOW)
    h.evaluate(1, DRIFTING, now=NOW + timedelta(hours=3, minutes=59))
    h.deliver(NOW + timedelta(hours=3, minutes=59))
    assert len(fake_slack.delivered()) == 1  # still firing, nothing new, too soon
    h.evaluate(2, DRIFTING, now=NOW + timedelta(hours=4))
    h.deliver(NOW + timedelta(hours=4))
    h.evaluate(3, CLEAR, now=NOW + timedelta(hours=5))
    h.deliver(NOW + timedelta(hours=5))
    first, repeat, resolved = fake_slack.delivered()
    assert "Still firing: repeated after the repeat interval." in text_of(repeat)
    assert repeat.json["text"] == "[FIRING:1] m (toy): drift"
    assert resolved.json["text"] == "[RESOLVED] m (toy): 1 alert(s) resolved"
    assert ":white_check_mark: RESOLVED: m" in text_of(resolved)
    assert "*Resolved*\n• *drift* (warning): drift share = 0 (&gt;= 0.3: ok)" in text_of(resolved)
    # one idempotency key per message, kept on the outbox row
    assert len({r.headers["Idempotency-Key"] for r in (first, repeat, resolved)}) == 3
    assert [o.payload["reason"] for o in h.outbox()] == ["firing", "repeat", "resolved"]
    (alert,) = h.alerts()
    assert alert.state == "resolved" and alert.resolved_at is not None


def test_resolution_is_not_sent_when_the_channel_does_not_want_it(
    harness: HarnessFactory, fake_slack: FakeSlack
) -> None:
    h = harness([share_rule()], {"slack": slack(fake_slack, send_resolved=False)})
    h.evaluate(0, DRIFTING, now=NOW)
    h.evaluate(1, CLEAR, now=NOW + timedelta(hours=1))
    h.evaluate(2, DRIFTING, now=NOW + timedelta(hours=2))  # fires again: news again
    h.deliver(NOW + timedelta(hours=2))
    assert [r.json["text"] for r in fake_slack.delivered()] == ["[FIRING:1] m (toy): drift"] * 2


def test_a_silenced_alert_sends_nothing_but_is_recorded(
    harness: HarnessFactory, fake_slack: FakeSlack
) -> None:
    h = harness([share_rule()], {"slack": slack(fake_slack)})
    with transaction(h.sessions) as session:
        silence = repo.add_silence(
            session=session,
            matchers=["rule=drift", "monitor=~m|n"],
            author="ana",
            comment="retraining under way",
            starts_at=NOW - timedelta(hours=1),
            ends_at=NOW + timedelta(hours=2),
            now=NOW,
        )
    assert h.evaluate(0, DRIFTING, now=NOW) == ["drift"]
    h.deliver(NOW)
    assert fake_slack.requests == [] and h.outbox() == []
    (alert,) = h.alerts()
    assert alert.state == "firing"  # the record is kept; only the notification is held back
    assert h.events() == [
        ("fired", "", {}),
        ("silenced", "", {"silences": [silence.id], "transition": "fired"}),
    ]
    # the silence ends while the alert still fires: now the channel hears of it
    h.evaluate(1, DRIFTING, now=NOW + timedelta(hours=3))
    h.deliver(NOW + timedelta(hours=3))
    assert [r.json["text"] for r in fake_slack.delivered()] == ["[FIRING:1] m (toy): drift"]


def test_twenty_drifting_features_make_one_message(harness: HarnessFactory, fake_slack: FakeSlack) -> None:
    columns = [f"f{i:02d}" for i in range(20)]
    rule = {"name": "feature-drift", "signal": "column_drift", "test": "ks", "notify": ["slack"]}
    h = harness([rule], {"slack": slack(fake_slack, max_features=10)})
    fired = h.evaluate(0, drift_facts(columns, columns), now=NOW)
    h.deliver(NOW)
    assert len(fired) == 20 and len(h.alerts()) == 20
    (message,) = fake_slack.delivered()
    text = text_of(message)
    assert ":rotating_light: FIRING: m · 20 alerts" in text
    assert text.count("• *feature-drift* (warning): f") == 15 and "…and 5 more" in text
    assert "*Top drifted features* (20)" in text and "…and 10 more" in text
    assert len(message.json["blocks"]) <= 50


def test_group_by_severity_makes_one_message_per_severity(
    harness: HarnessFactory, fake_slack: FakeSlack
) -> None:
    rules = [
        share_rule(severity="critical"),
        {"name": "feature-drift", "signal": "column_drift", "notify": ["slack"], "severity": "warning"},
    ]
    h = harness(rules, {"slack": slack(fake_slack, group_by=["severity"])})
    h.evaluate(0, DRIFTING, now=NOW)
    h.deliver(NOW)
    texts = sorted(r.json["text"] for r in fake_slack.delivered())
    assert texts == ["[FIRING:1] m (toy): drift", "[FIRING:2] m (toy): feature-drift"]


def test_keep_firing_for_holds_a_flapping_signal_as_one_alert(
    harness: HarnessFactory, fake_slack: FakeSlack
) -> None:
    h = harness([share_rule(keep_firing_for=1)], {"slack": slack(fake_slack)})
    for day, facts in enumerate([DRIFTING, CLEAR, DRIFTING, CLEAR, CLEAR]):
        h.evaluate(day, facts, now=NOW + timedelta(minutes=day))
    h.deliver(NOW + timedelta(hours=1))
    assert [r.json["text"] for r in fake_slack.delivered()] == [
        "[FIRING:1] m (toy): drift",
        "[RESOLVED] m (toy): 1 alert(s) resolved",
    ]


def test_a_recomputed_past_window_sends_nothing(harness: HarnessFactory, fake_slack: FakeSlack) -> None:
    h = harness([share_rule()], {"slack": slack(fake_slack, repeat_interval="1h")})
    h.evaluate(5, DRIFTING, now=NOW)
    h.evaluate(2, DRIFTING, now=NOW + timedelta(hours=9))  # older window, computed late
    h.deliver(NOW + timedelta(hours=9))
    assert len(fake_slack.delivered()) == 1


def test_metric_drop_against_the_stored_baseline(harness: HarnessFactory, fake_slack: FakeSlack) -> None:
    rule = {
        "name": "auc-drop",
        "signal": "metric",
        "metric": "roc_auc",
        "baseline": {"windows": 3, "max_drop": 0.1, "relative": True},
        "notify": ["slack"],
    }
    h = harness([rule], {"slack": slack(fake_slack)})
    # the baseline is read from stored metric values of earlier runs
    from monitor.store.tables import MetricValueRow, RunRow

    with transaction(h.sessions) as session:
        for day, auc in enumerate([0.80, 0.80, 0.83]):
            run = RunRow(
                monitor_id=h.monitor_id,
                window_start=DAY0 + timedelta(days=day),
                window_end=DAY0 + timedelta(days=day + 1),
                status="succeeded",
                trigger="backfill",
                claimed_at=NOW,
            )
            session.add(run)
            session.flush()
            session.add(
                MetricValueRow(run_id=run.id, metric="roc_auc", value=auc, sample_count=100, status="ok")
            )
    assert h.evaluate(3, drift_facts([], COLUMNS, metrics={"roc_auc": 0.73}), now=NOW) == []
    assert h.evaluate(4, drift_facts([], COLUMNS, metrics={"roc_auc": 0.70}), now=NOW) == [
        "auc-drop metric=roc_auc"
    ]
    h.deliver(NOW)
    # stored windows 0..2 (0.80, 0.80, 0.83) are the baseline: mean 0.81, 10% below is 0.729;
    # the harness's own runs store no metric values, so window 3's 0.73 does not enter it
    (message,) = fake_slack.delivered()
    assert "roc_auc = 0.7 (&lt; 0.729: breached; baseline 0.81, allowed drop 10%)" in text_of(message)
