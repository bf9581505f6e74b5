"""Metric alerts on labels that arrive three days after the predictions: the rules judge a window once
its labels are known, in the transaction that stores them, and notify through a real fake Slack.
Real files, a real database (SQLite and PostgreSQL), the scheduler's own calls, an injected clock.

The log has one window a day. Each prediction's label arrives exactly 3 days after it, so window d
is fully labelled at day d + 4, 00:00; ticks run at 01:00 each day, as the scheduler would: the tick
of day k runs window k - 1 and brings window k - 4 to full label coverage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sklearn.metrics import accuracy_score, roc_auc_score

from monitor import pipeline
from monitor.pipeline import label_refresh as labelled
from monitor.pipeline.runtime import Runtime
from monitor.services import alerts as alert_service
from monitor.services import scheduling
from monitor.store.tables import (
    AlertEventRow,
    AlertRow,
    MetricRuleCursorRow,
    MetricValueRow,
    OutboxRow,
    RunRow,
)
from monitor.windows import Window
from tests.alerting.fixtures import SLACK_HOOK_SECRET
from tests.conftest import RuntimeFactory
from tests.notify.servers import FakeSlack

DAY0 = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 10
ROWS = 400
LABEL_DELAY = timedelta(days=3)
BAD_DAYS = {2, 3, 4, 5}  # labels no longer follow the score: ROC AUC about 0.5, accuracy about 0.5


def at(day: int, hours: float = 1) -> datetime:
    return DAY0 + timedelta(days=day, hours=hours)


def window(day: int) -> Window:
    return Window(DAY0 + timedelta(days=day), DAY0 + timedelta(days=day + 1))


def prediction_log(half_labelled_day: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions of DAYS days and their labels. On `half_labelled_day` only every other row is
    labelled on time; the others' labels come at day 9, 12:00 (after later windows were judged)."""
    rng = np.random.default_rng(7)
    days = []
    for day in range(DAYS):
        score = 1 / (1 + np.exp(-2.5 * rng.normal(size=ROWS)))
        truth = rng.random(ROWS) < (0.5 if day in BAD_DAYS else score)
        seconds = np.sort(rng.uniform(0, 86_400, ROWS))
        days.append(
            pd.DataFrame(
                {
                    "timestamp": pd.Timestamp(DAY0 + timedelta(days=day))
                    + pd.to_timedelta(seconds, unit="s"),
                    "x": rng.normal(size=ROWS),
                    "score": score,
                    "prediction": (score >= 0.5).astype(int),
                    "_truth": truth.astype(int),
                    "_day": day,
                }
            )
        )
    log = pd.concat(days, ignore_index=True)
    log.insert(0, "prediction_id", [f"p{i}" for i in range(len(log))])
    labelled_at = log["timestamp"] + LABEL_DELAY
    if half_labelled_day is not None:
        late = (log["_day"] == half_labelled_day) & (log.index % 2 == 1)
        labelled_at = labelled_at.where(~late, pd.Timestamp(at(9, 12)))
    labels = pd.DataFrame(
        {"prediction_id": log["prediction_id"], "label": log["_truth"], "labelled_at": labelled_at}
    )
    return log.drop(columns=["_truth", "_day"]), labels


def expected(log: pd.DataFrame, labels: pd.DataFrame, day: int) -> dict[str, float]:
    """scikit-learn on the window's rows with every label."""
    w = window(day)
    rows = log[(log.timestamp >= w.start) & (log.timestamp < w.end)].merge(labels, on="prediction_id")
    return {
        "roc_auc": float(roc_auc_score(rows.label, rows.score)),
        "accuracy": float(accuracy_score(rows.label, rows.prediction)),
    }


def metric_rule(name: str, metric: str, threshold: float, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "signal": "metric",
        "metric": metric,
        "op": "<",
        "threshold": threshold,
        "for": 2,
        "notify": ["slack"],
        **extra,
    }


MonitorStarter = Callable[..., Runtime]


@pytest.fixture
def start_monitor(
    db_url: str, tmp_path: Path, make_runtime: RuntimeFactory, fake_slack: FakeSlack
) -> MonitorStarter:
    """The monitor on `log` and `labels` with `rules` (two metric rules unless given)."""

    def start(
        log: pd.DataFrame,
        labels: pd.DataFrame,
        rules: list[dict[str, Any]] | None = None,
        horizon: str = "14d",
    ) -> Runtime:
        log.to_parquet(tmp_path / "predictions.parquet")
        labels.to_parquet(tmp_path / "labels.parquet")
        pd.DataFrame({"x": np.random.default_rng(3).normal(size=2000)}).to_parquet(
            tmp_path / "reference.parquet"
        )
        data = {
            "database": {"url": db_url},
            "server": {"public_url": "http://monitor.example"},
            "notifiers": {
                "slack": {
                    "type": "slack",
                    "webhook_url": fake_slack.add_hook(SLACK_HOOK_SECRET),
                    "repeat_interval": "30h",
                }
            },
            "monitors": {
                "m": {
                    "model": "toy",
                    "source": {"type": "files", "path": "predictions.parquet"},
                    # Label checkpoints at each midnight: the day's labels count from the next day.
                    "labels": {
                        "source": {"type": "files", "path": "labels.parquet"},
                        "horizon": horizon,
                        "recompute_every": "1d",
                    },
                    "reference": {"type": "files", "path": "reference.parquet"},
                    "schema": {"features": ["x"]},
                    "metrics": ["accuracy", "roc_auc"],
                    "alerts": rules
                    if rules is not None
                    else [
                        metric_rule("auc-low", "roc_auc", 0.7, severity="critical"),
                        metric_rule("accuracy-low", "accuracy", 0.65),
                    ],
                }
            },
        }
        return make_runtime(data, now=DAY0)

    return start


def tick(runtime: Runtime, now: datetime) -> tuple[list[pipeline.RunOutcome], list[labelled.LabelRefresh]]:
    """What the scheduler does at `now`: the monitor's tick, then the outbox job."""
    runtime.clock = lambda: now
    report = scheduling.tick(runtime, "m")
    scheduling.deliver(runtime)
    return report.runs, report.refreshed


def fired_in(refreshed: list[labelled.LabelRefresh]) -> list[str]:
    return [name for r in refreshed for name in r.alerts_fired]


def events(runtime: Runtime, rule: str) -> list[tuple[str, int | None, dict[str, Any]]]:
    """(event, day of the window, details) of a rule's alert, in order."""
    with runtime.sessions() as session:
        rows = session.execute(
            sa.select(AlertEventRow.event, AlertEventRow.window_end, AlertEventRow.details)
            .join(AlertRow, AlertRow.id == AlertEventRow.alert_id)
            .where(AlertRow.rule == rule)
            .order_by(AlertEventRow.id)
        ).all()
    return [
        (event, None if end is None else (end.replace(tzinfo=UTC) - DAY0).days - 1, details)
        for event, end, details in rows
    ]


def outbox(runtime: Runtime) -> list[OutboxRow]:
    with runtime.sessions() as session:
        return list(session.scalars(sa.select(OutboxRow).order_by(OutboxRow.id)))


def test_metric_rules_fire_once_labels_are_known_not_when_the_window_runs(
    start_monitor: MonitorStarter, fake_slack: FakeSlack
) -> None:
    log, labels = prediction_log()
    runtime = start_monitor(log, labels)
    for day in range(1, 7):
        outcomes, refreshed = tick(runtime, at(day))
        (run,) = outcomes
        assert run.window == window(day - 1) and run.status == "succeeded"
        # At run time no label is known: the metrics have no value and nothing fires.
        assert run.metrics == {"accuracy": None, "roc_auc": None} and run.alerts_fired == ()
        assert fired_in(refreshed) == []
    # Day 6 brought window 2 (the first bad one) to full coverage: both alerts are pending.
    assert [e for e, _, _ in events(runtime, "auc-low")] == ["pending"]
    assert fake_slack.requests == []

    # Day 7: window 3, the second bad window in a row, is fully labelled: both fire, in one message.
    _, refreshed = tick(runtime, at(7))
    w3 = window(3).label()
    assert fired_in(refreshed) == [
        f"auc-low metric=roc_auc (window {w3})",
        f"accuracy-low metric=accuracy (window {w3})",
    ]
    (message,) = fake_slack.delivered()
    assert message.json["text"] == "[FIRING:2] m (toy): accuracy-low, auc-low"
    (row,) = outbox(runtime)
    assert (row.status, row.payload["reason"]) == ("delivered", "firing")
    assert row.payload["window"] == {"start": window(3).start.isoformat(), "end": window(3).end.isoformat()}
    truth = expected(log, labels, 3)
    items = {item["rule"]: item for item in row.payload["firing"]}
    assert items["auc-low"]["value"] == pytest.approx(truth["roc_auc"], abs=1e-9)
    assert items["accuracy-low"]["value"] == pytest.approx(truth["accuracy"], abs=1e-9)
    assert row.payload["metrics"] == pytest.approx(truth, abs=1e-9)
    assert row.payload["report_url"] == f"http://monitor.example/runs/{_run_id(runtime, 3)}"
    auc_events = events(runtime, "auc-low")
    assert [(e, d) for e, d, _ in auc_events] == [("pending", 2), ("fired", 3), ("notified", 3)]
    # Window 3's metrics: version 1 at its run (day 4, no label), 2 as of day 7 (all labels, known
    # during day 6).
    assert auc_events[1][2] == {"metrics_version": 2, "label_coverage": 1.0, "provisional": False}

    # Two hours later no checkpoint has passed: nothing is computed, judged or sent again.
    _, refreshed = tick(runtime, at(7, hours=3))
    assert [r.window for r in refreshed if r.version is not None] == []
    assert fired_in(refreshed) == [] and len(outbox(runtime)) == 1 and len(fake_slack.requests) == 1

    # Day 8: window 4 breaches too (still firing); 24 h since the message is less than repeat_interval.
    tick(runtime, at(8))
    assert len(outbox(runtime)) == 1
    # Day 9: 48 h since the message: the labels of window 5, applied first, keep both firing and
    # repeat it.
    tick(runtime, at(9))
    # Day 10: window 6 is good again: both resolve, in one message.
    tick(runtime, at(10))
    assert [(o.payload["reason"], o.status) for o in outbox(runtime)] == [
        ("firing", "delivered"),
        ("repeat", "delivered"),
        ("resolved", "delivered"),
    ]
    assert [r.json["text"] for r in fake_slack.delivered()] == [
        "[FIRING:2] m (toy): accuracy-low, auc-low",
        "[FIRING:2] m (toy): accuracy-low, auc-low",
        "[RESOLVED] m (toy): 2 alert(s) resolved",
    ]
    resolved = outbox(runtime)[2].payload
    assert resolved["window"]["end"] == window(6).end.isoformat()
    assert [(e, d) for e, d, _ in events(runtime, "auc-low")] == [
        ("pending", 2),
        ("fired", 3),
        ("notified", 3),
        ("notified", 5),
        ("resolved", 6),
        ("notified", 6),
    ]
    with runtime.sessions() as session:
        alerts = {a.rule: a for a in session.scalars(sa.select(AlertRow))}
    assert {rule: a.state for rule, a in alerts.items()} == {
        "auc-low": "resolved",
        "accuracy-low": "resolved",
    }
    assert alerts["auc-low"].fired_at == at(7)
    assert alerts["auc-low"].resolved_at == at(10)
    assert alerts["auc-low"].value == pytest.approx(expected(log, labels, 6)["roc_auc"], abs=1e-9)


def test_a_window_whose_labels_stay_incomplete_is_passed_over_after_one_more_look(
    start_monitor: MonitorStarter, fake_slack: FakeSlack
) -> None:
    # Window 3 gets half its labels on time; the rest only at day 9, 12:00.
    log, labels = prediction_log(half_labelled_day=3)
    runtime = start_monitor(log, labels)
    for day in range(1, 9):
        tick(runtime, at(day))
    # Day 8: window 4 is ready, window 3 (50% labelled) is not; window 4 waits one checkpoint for it.
    assert [(e, d) for e, d, _ in events(runtime, "auc-low")] == [("pending", 2)]
    assert fake_slack.requests == []
    _, refreshed = tick(runtime, at(8, hours=2))
    assert [r.window for r in refreshed if r.version is not None] == []
    # At the next checkpoint window 3 is still half labelled: it is passed over (no value, the alert
    # stays pending) and window 4, the second bad window judged, fires, with window 5's labels.
    _, refreshed = tick(runtime, at(9))
    assert [r.window for r in refreshed if r.version is not None] == [window(5)]
    assert fired_in(refreshed) == [
        f"{n} (window {window(4).label()})"
        for n in ("auc-low metric=roc_auc", "accuracy-low metric=accuracy")
    ]
    assert [(e, d) for e, d, _ in events(runtime, "auc-low")] == [
        ("pending", 2),
        ("fired", 4),
        ("notified", 4),
    ]
    (message,) = fake_slack.delivered()
    assert "2026-09-05 00:00 → 2026-09-06 00:00 UTC" in message.json["blocks"][1]["fields"][2]["text"]
    # Window 3's labels complete later: a new version is stored, but a window passed over is not
    # judged after all.
    _, refreshed = tick(runtime, at(10))
    assert window(3) in [r.window for r in refreshed if r.version is not None]
    with runtime.sessions() as session:
        coverage = session.scalar(
            sa.select(sa.func.max(MetricValueRow.label_coverage)).where(
                MetricValueRow.run_id == _run_id(runtime, 3)
            )
        )
    assert coverage == 1.0
    assert 3 not in {d for _, d, _ in events(runtime, "auc-low")}


def test_a_window_that_never_gets_enough_labels_is_judged_when_it_leaves_the_horizon(
    start_monitor: MonitorStarter, fake_slack: FakeSlack
) -> None:
    # Four days of log; window 3 gets only half its labels before it leaves a 5-day horizon.
    log, labels = prediction_log(half_labelled_day=3)
    log = log[log.timestamp < window(3).end]
    runtime = start_monitor(log, labels[labels.prediction_id.isin(log.prediction_id)], horizon="5d")
    pipeline.backfill(runtime, "m", DAY0, window(3).end, now=at(4))
    for moment in (at(6), at(7), at(8, hours=23)):
        labelled.refresh_late_labels(runtime, "m", now=moment)
    assert [(e, d) for e, d, _ in events(runtime, "auc-low")] == [("pending", 2)]  # window 3 waits
    # Day 9: window 3 has left the horizon with its final metrics: no window is refreshed any more,
    # and the tick's last pass judges it on what it got.
    assert labelled.refresh_late_labels(runtime, "m", now=at(9)) == []
    auc = events(runtime, "auc-low")
    assert [(e, d) for e, d, _ in auc] == [("pending", 2), ("fired", 3), ("notified", 3)]
    # Versions: at the backfill (no label), as of day 7 (the on-time half, known during day 6).
    assert auc[1][2] == {"metrics_version": 2, "label_coverage": 0.5, "provisional": False}
    (row,) = outbox(runtime)
    assert row.payload["window"]["end"] == window(3).end.isoformat() and row.status == "pending"
    runtime.clock = lambda: at(9)
    scheduling.deliver(runtime)  # the scheduler's outbox job, every 15 s
    (message,) = fake_slack.delivered()
    assert message.json["text"] == "[FIRING:2] m (toy): accuracy-low, auc-low"


def test_a_backfill_of_labelled_history_fires_in_the_run_and_silences_still_mute(
    start_monitor: MonitorStarter, fake_slack: FakeSlack
) -> None:
    log, labels = prediction_log()
    runtime = start_monitor(log, labels)
    now = at(30)
    alert_service.create_silence(
        runtime.sessions,
        matchers=["rule=accuracy-low"],
        author="ana",
        comment="known",
        now=now,
        duration="1d",
    )
    outcomes = pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=DAYS), now=now).runs
    # The backfill replays the label stream: the rules judge each window as its labels come, in data
    # time, never at its run (no label is known then).
    assert [o.alerts_fired for o in outcomes] == [()] * DAYS
    assert [(e, d) for e, d, _ in events(runtime, "auc-low")][:2] == [("pending", 2), ("fired", 3)]
    firing, resolution = fake_slack.delivered()
    assert firing.json["text"] == "[FIRING:1] m (toy): auc-low"  # accuracy-low is silenced
    assert resolution.json["text"] == "[RESOLVED] m (toy): 1 alert(s) resolved"
    assert [(e, d) for e, d, _ in events(runtime, "accuracy-low")][:3] == [
        ("pending", 2),
        ("fired", 3),
        ("silenced", 3),
    ]
    # Every window was judged once: later refreshes find nothing to judge.
    _, refreshed = tick(runtime, now + timedelta(hours=2))
    assert refreshed == [] and len(outbox(runtime)) == 2  # the firing and the resolution of auc-low
    assert [o.payload["reason"] for o in outbox(runtime)] == ["firing", "resolved"]


def test_a_rule_with_min_label_coverage_zero_judges_at_run_time_on_what_is_known(
    start_monitor: MonitorStarter, fake_slack: FakeSlack
) -> None:
    log, labels = prediction_log()
    rule = metric_rule("auc-low", "roc_auc", 0.7, min_label_coverage=0)
    runtime = start_monitor(log, labels, [rule])
    tick(runtime, at(1))
    with runtime.sessions() as session:
        (run,) = session.scalars(sa.select(RunRow)).all()
    assert run.labelled_count == 0
    assert events(runtime, "auc-low") == []  # judged, without a value: nothing to record
    with runtime.sessions() as session:
        cursor = session.scalars(sa.select(MetricRuleCursorRow)).one()
    assert (cursor.rule, cursor.judged_through) == ("auc-low", window(0).end)


def test_a_rule_added_to_a_running_monitor_starts_with_the_windows_within_the_label_horizon(
    start_monitor: MonitorStarter, fake_slack: FakeSlack
) -> None:
    log, labels = prediction_log()
    before = start_monitor(log, labels, [], horizon="5d")
    pipeline.backfill(before, "m", DAY0, DAY0 + timedelta(days=DAYS), now=at(12))
    # The rules appear at day 12; the first thing they see is a recompute of (bad) window 3. Windows
    # ending after day 7, 02:00 (7, 8 and 9) are theirs to judge; the bad days 2 to 5 are old news.
    after = start_monitor(log, labels, horizon="5d")
    outcome = pipeline.run_monitor(after, "m", window(3), now=at(12, hours=2), recompute=True)
    assert outcome.status == "succeeded" and outcome.alerts_fired == ()
    with after.sessions() as session:
        cursors = {c.rule: c.judged_through for c in session.scalars(sa.select(MetricRuleCursorRow))}
        assert session.scalars(sa.select(AlertRow)).all() == []
    # Windows 7 and 8 are fully labelled and judged (good: no alert); window 9 waits for its labels.
    assert cursors == {
        "auc-low": window(8).end,
        "accuracy-low": window(8).end,
    }
    assert outbox(after) == [] and fake_slack.requests == []


def _run_id(runtime: Runtime, day: int) -> int:
    with runtime.sessions() as session:
        run_id = session.scalar(sa.select(RunRow.id).where(RunRow.window_start == window(day).start))
    assert run_id is not None
    return run_id
