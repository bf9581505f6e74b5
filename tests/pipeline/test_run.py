"""A monitor's whole loop on real files and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from monitor import pipeline
from monitor.config import CLASSIFICATION_METRICS
from monitor.pipeline.runtime import Runtime
from monitor.scheduler import build_scheduler
from monitor.store import runs as run_store
from monitor.store.metrics import latest_metric_values
from monitor.store.tables import AlertRow, OutboxRow
from monitor.windows import Window
from tests.conftest import DAY0, ROWS_PER_DAY, RuntimeFactory, monitor_config


@pytest.fixture
def runtime(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> Runtime:
    return make_runtime(monitor_config(db_url))


def day_window(day: int) -> Window:
    return Window(DAY0 + timedelta(days=day), DAY0 + timedelta(days=day + 1))


def test_one_scheduled_run_end_to_end(runtime: Runtime, monitor_files: Path) -> None:
    now = DAY0 + timedelta(days=4, hours=1)  # day 3 closed an hour ago; labels known up to day 1
    runtime.clock = lambda: now
    scheduler = build_scheduler(runtime)
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with runtime.sessions() as session:
                last = run_store.latest_run(session=session, monitor="m")
            if last is not None and last.status != "running":
                break
            time.sleep(0.2)
    finally:
        scheduler.shutdown(wait=True)
    assert last is not None and last.status == "succeeded", last and last.error
    assert (last.window_start, last.window_end) == (
        day_window(3).start,
        day_window(3).end,
    )
    with runtime.sessions() as session:
        run, _ = run_store.get_run(session=session, run_id=last.id) or (None, None)
        assert run is not None
        results = {(r.column_name, r.test): r for r in run.drift_results}
    log = pd.read_parquet(monitor_files / "predictions.parquet")
    current = log[(log.timestamp >= day_window(3).start) & (log.timestamp < day_window(3).end)]
    reference = pd.read_parquet(monitor_files / "reference.parquet")
    expected = ks_2samp(reference["x"], current["x"])
    assert results[("x", "ks")].statistic == pytest.approx(expected.statistic, abs=1e-9)
    assert results[("x", "ks")].p_value == pytest.approx(expected.pvalue, abs=1e-9)
    assert results[("x", "ks")].drifted and results[("colour", "chi2")].drifted
    assert not results[("y", "psi")].drifted
    assert set(results) == {
        ("x", "ks"),
        ("x", "psi"),
        ("y", "ks"),
        ("y", "psi"),
        ("colour", "chi2"),
        ("colour", "psi"),
    }
    assert run.row_count == ROWS_PER_DAY and run.drifted_columns == ["x", "colour"]
    # Labels of day 3 arrive on day 5: at `now` none is known, so metrics say so.
    assert {m.metric: (m.value, m.status) for m in run.metric_values} == {
        metric: (None, "no_labels") for metric in CLASSIFICATION_METRICS
    }


def test_backfill_metrics_alerts_and_outbox(runtime: Runtime, monitor_files: Path) -> None:
    now = DAY0 + timedelta(days=10)  # every label known
    outcomes = pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=now).runs
    assert [o.status for o in outcomes] == ["succeeded"] * 4
    assert [o.dataset_drifted for o in outcomes] == [False, False, True, True]
    # for: 2 -> pending on day 2, firing on day 3, and only then one notification.
    assert [o.alerts_fired for o in outcomes] == [(), (), (), ("drift",)]
    log = pd.read_parquet(monitor_files / "predictions.parquet")
    labels = pd.read_parquet(monitor_files / "labels.parquet")
    joined = log.merge(labels, on="prediction_id")
    day1 = joined[(joined.timestamp >= day_window(1).start) & (joined.timestamp < day_window(1).end)]
    # Each run counts the labels known when it would have run (none: they come two days later); the
    # backfill then replays their arrival, so the latest version of each window has them all.
    assert outcomes[1].metrics["roc_auc"] is None
    with runtime.sessions() as session:
        latest = latest_metric_values(session=session, run_id=outcomes[1].run_id or -1)
    assert latest["roc_auc"].value == pytest.approx(roc_auc_score(day1.label, day1.score), abs=1e-12)
    assert latest["accuracy"].value == pytest.approx((day1.label == day1.prediction).mean(), abs=1e-12)
    assert latest["accuracy"].label_coverage == 1.0
    with runtime.sessions() as session:
        alert = session.query(AlertRow).one()
        outbox = session.query(OutboxRow).all()
    assert (alert.state, alert.breaches) == ("firing", 2)
    assert [(o.channel, o.status, o.attempts, o.payload["status"]) for o in outbox] == [
        ("log", "delivered", 1, "firing")
    ]
    again = pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=now).runs
    assert [o.reason for o in again] == ["already_succeeded"] * 4


def test_a_source_that_is_down_fails_the_run_clearly_and_is_retried(
    runtime: Runtime, monitor_files: Path
) -> None:
    moved = monitor_files / "predictions.parquet"
    moved.rename(monitor_files / "elsewhere.parquet")
    failed = pipeline.run_monitor(runtime, "m", day_window(0), now=DAY0 + timedelta(days=5))
    assert failed.status == "failed" and "no file matches" in (failed.error or "")
    (monitor_files / "elsewhere.parquet").rename(moved)
    ok = pipeline.run_monitor(runtime, "m", day_window(0), now=DAY0 + timedelta(days=5))
    assert (ok.status, ok.reason, ok.run_id) == ("succeeded", "retry", failed.run_id)


def test_an_empty_window_is_a_finding_not_a_crash(runtime: Runtime) -> None:
    outcome = pipeline.run_monitor(runtime, "m", day_window(30), now=DAY0 + timedelta(days=40))
    assert outcome.status == "succeeded" and outcome.row_count == 0
    assert outcome.drift_share is None and outcome.dataset_drifted is False
    with runtime.sessions() as session:
        run, _ = run_store.get_run(session=session, run_id=outcome.run_id or -1) or (None, None)
        assert run is not None
        assert {r.status for r in run.drift_results} == {"empty_current"}


def test_due_windows_catch_up_after_downtime(runtime: Runtime) -> None:
    pipeline.run_monitor(runtime, "m", day_window(0), now=DAY0 + timedelta(days=1, hours=1))
    due = pipeline.due_windows(runtime, "m", now=DAY0 + timedelta(days=4, hours=1))
    assert due == [day_window(1), day_window(2), day_window(3)]


def test_rolling_windows_are_evaluated_each_step_and_caught_up(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    data = monitor_config(db_url)
    data["monitors"]["m"]["window"] = {"size": "1d", "length": "3d"}
    rt = make_runtime(data)
    first = pipeline.run_due(rt, "m", now=DAY0 + timedelta(days=3, hours=1))
    later = pipeline.run_due(rt, "m", now=DAY0 + timedelta(days=5, hours=1))
    assert [o.window for o in first] == [Window(DAY0, DAY0 + timedelta(days=3))]
    # Each day's window reaches three days back, overlapping the previous one by two days.
    assert [o.window for o in later] == [
        Window(DAY0 + timedelta(days=1), DAY0 + timedelta(days=4)),
        Window(DAY0 + timedelta(days=2), DAY0 + timedelta(days=5)),
    ]
    assert first[0].row_count == 3 * ROWS_PER_DAY and later[0].row_count == 3 * ROWS_PER_DAY


def test_data_quality_findings_feed_alert_rules(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    data = monitor_config(db_url)
    rule = {
        "name": "range",
        "signal": "quality",
        "check": "out_of_range",
        "column": "x",
        "op": ">",
        "threshold": 0.01,
    }
    data["monitors"]["m"]["alerts"] = [rule]
    rt = make_runtime(data)
    outcomes = pipeline.backfill(rt, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=10)).runs
    # Independently: the share of each day's x outside the reference's [min, max].
    log = pd.read_parquet(monitor_files / "predictions.parquet")
    reference = pd.read_parquet(monitor_files / "reference.parquet")
    low, high = reference.x.min(), reference.x.max()
    shares = [
        ((day.x < low) | (day.x > high)).mean()
        for day in (
            log[(log.timestamp >= w.start) & (log.timestamp < w.end)] for w in map(day_window, range(4))
        )
    ]
    assert shares[0] <= 0.01 < shares[3]  # x shifts by 1.5 standard deviations from day 2 on
    first_breach = next(i for i, share in enumerate(shares) if share > 0.01)
    fired = [i for i, o in enumerate(outcomes) if o.alerts_fired]
    assert fired == [first_breach]  # fires once, on the first breaching window
    assert any("x: " in f and "outside the reference range" in f for f in outcomes[3].quality_findings)
