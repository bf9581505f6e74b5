"""Alerts from real runs: the demo-like files, the pipeline, a real database and a fake Slack."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.services.monitors import list_alerts
from monitor.store.tables import OutboxRow
from monitor.windows import Window
from tests.alerting.fixtures import SLACK_HOOK_SECRET
from tests.conftest import DAY0, RuntimeFactory, monitor_config
from tests.notify.servers import FakeSlack


@pytest.fixture
def runtime(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory, fake_slack: FakeSlack) -> Runtime:
    data = monitor_config(db_url)
    data["server"] = {"public_url": "http://monitor.example"}
    data["notifiers"]["slack"] = {"type": "slack", "webhook_url": fake_slack.add_hook(SLACK_HOOK_SECRET)}
    data["monitors"]["m"]["alerts"] = [
        {"name": "drift", "signal": "drift_share", "threshold": 0.3, "for": 2, "notify": ["slack"]},
        {
            "name": "empty",
            "signal": "quality",
            "check": "no_rows",
            "severity": "critical",
            "notify": ["slack"],
        },
    ]
    return make_runtime(data)


def test_drift_from_real_runs_makes_one_message_on_the_second_drifting_day(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    now = DAY0 + timedelta(days=10)
    outcomes = pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=now).runs
    assert [o.alerts_fired for o in outcomes] == [(), (), (), ("drift",)]
    (message,) = fake_slack.delivered()
    blocks = message.json["blocks"]
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)
    assert "*Window*\n2026-06-04 00:00 → 2026-06-05 00:00 UTC" in blocks[1]["fields"][2]["text"]
    # x shifted and colour changed mix from day 2 on; y never moves (see tests/conftest.py)
    features = text.split("*Top drifted features* (2)\n")[1].splitlines()
    assert sorted(line.split("`")[1] for line in features) == ["colour", "x"]
    report = next(e["url"] for b in blocks if b["type"] == "actions" for e in b["elements"])
    assert report == f"http://monitor.example/runs/{outcomes[3].run_id}"


def test_a_window_without_rows_fires_the_no_rows_check(runtime: Runtime, fake_slack: FakeSlack) -> None:
    empty = Window(DAY0 + timedelta(days=30), DAY0 + timedelta(days=31))
    outcome = pipeline.run_monitor(runtime, "m", empty, now=DAY0 + timedelta(days=40))
    assert outcome.alerts_fired == ("empty check=no_rows",)
    (message,) = fake_slack.delivered()
    assert message.json["text"] == "[FIRING:1] m (toy): empty"
    with runtime.sessions() as session:
        (row,) = session.query(OutboxRow).all()
    assert row.status == "delivered"


def test_an_alert_says_the_window_its_condition_began_in_not_when_it_was_computed(runtime: Runtime) -> None:
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=30))
    (alert,) = [a for a in list_alerts(runtime, monitor="m") if a.rule == "drift"]
    # drift from day 2 on, `for: 2`: pending in the day-2 window, firing in the day-3 one
    assert (alert.since_window_start, alert.since_window_end) == (
        DAY0 + timedelta(days=2),
        DAY0 + timedelta(days=3),
    )
    assert alert.last_window_end == DAY0 + timedelta(days=4)
    assert alert.started_at > DAY0 + timedelta(days=4)  # computed by the backfill, long after the windows
