"""The bundled demo: drift found from day 40 on and never before, and alerts fire."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from monitor.config import load_config
from monitor.pipeline import RunOutcome
from monitor.pipeline.runtime import build_runtime
from monitor.services import canary
from monitor.services.alerts import alert_detail
from monitor.services.demo import prepare_demo
from monitor.services.demo_data import CANARY_DAY, DAYS, DRIFT_DAY, NEW_CHANNEL, generate_demo
from monitor.services.monitors import list_alerts, run_detail, runs_page
from monitor.services.types import RunOut

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[RunOutcome]]:
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(REPO / "config", root / "config")
    config = load_config(root / "config" / "demo.yaml", env={})
    return root, prepare_demo(config, now=NOW)


def test_generated_log_matches_its_description(demo: tuple[Path, list[RunOutcome]]) -> None:
    root, _ = demo
    log = pd.read_parquet(root / "data" / "demo" / "predictions.parquet")
    labels = pd.read_parquet(root / "data" / "demo" / "labels.parquet")
    days = (log["timestamp"] - pd.Timestamp(NOW.date(), tz="UTC")).dt.days + DAYS
    assert days.min() == 0 and days.max() == DAYS - 1
    assert log.groupby(days).size().min() >= 2_000 and log.groupby(days).size().max() <= 4_000
    serving = {"model_version", "latency_ms", "status"}
    features = set(log.columns) - {"prediction_id", "timestamp", "score", "prediction", *serving}
    assert len(features) == 12
    # The canary: v4 serves about a tenth of the traffic from day 50 on, and fails more often.
    canary = log["model_version"] == "v4"
    assert not canary[days < CANARY_DAY].any()
    assert 0.08 < canary[days >= CANARY_DAY].mean() < 0.12
    errors = log["status"] >= 500
    assert errors[canary].mean() > 0.04 > 0.015 > errors[~canary].mean()
    assert NEW_CHANNEL not in set(log.loc[days < DRIFT_DAY, "channel"])
    assert NEW_CHANNEL in set(log.loc[days >= DRIFT_DAY, "channel"])
    joined = labels.merge(log[["prediction_id", "timestamp"]], on="prediction_id")
    delay = joined["labelled_at"] - joined["timestamp"]
    assert delay.min() >= timedelta(days=3) and delay.max() <= timedelta(days=7)
    # Every prediction gets its label, those of the last days at times still to come.
    assert len(labels) == len(log) and (labels["labelled_at"] > pd.Timestamp(NOW)).any()


def test_drift_is_found_after_day_40_and_not_before(demo: tuple[Path, list[RunOutcome]]) -> None:
    _, outcomes = demo
    assert len(outcomes) == DAYS and all(o.status == "succeeded" for o in outcomes)
    first = outcomes[0].window.start
    by_day = {(o.window.start - first).days: o for o in outcomes}
    assert [d for d, o in by_day.items() if o.dataset_drifted] == list(range(DRIFT_DAY, DAYS))
    assert (
        "credit_score" in by_day[DRIFT_DAY].drifted_columns and "channel" in by_day[DRIFT_DAY].drifted_columns
    )


def stored_runs(root: Path) -> list[RunOut]:
    config = load_config(root / "config" / "demo.yaml", env={})
    runtime = build_runtime(config, now=NOW)
    try:
        return runs_page(runtime, "credit-default", limit=100, offset=0).items
    finally:
        runtime.close()


def test_auc_decays_and_alerts_fire(demo: tuple[Path, list[RunOutcome]]) -> None:
    root, outcomes = demo
    # Each window's newest metrics: those of the labels known by NOW.
    auc = [next((m.value for m in r.metrics if m.metric == "roc_auc"), None) for r in stored_runs(root)]
    before = [a for a in auc[:DRIFT_DAY] if a is not None]
    after = [a for a in auc[DRIFT_DAY + 5 : DAYS - 8] if a is not None]
    assert min(before) > 0.7 and max(after) < 0.65
    fired = [(i, name) for i, o in enumerate(outcomes) for name in o.alerts_fired]
    assert (DRIFT_DAY, "dataset-drift") in fired
    config = load_config(root / "config" / "demo.yaml", env={})
    runtime = build_runtime(config, now=NOW)
    try:
        alerts = list_alerts(runtime, monitor="credit-default")
    finally:
        runtime.close()
    # The metric alert fired as the labels of the drifted days came in (replayed in data time).
    auc_drop = [a for a in alerts if a.rule == "auc-drop"]
    assert auc_drop and auc_drop[0].since_window_start is not None
    assert auc_drop[0].since_window_start > outcomes[DRIFT_DAY].window.start


def test_second_preparation_reuses_everything(demo: tuple[Path, list[RunOutcome]]) -> None:
    root, _ = demo
    config = load_config(root / "config" / "demo.yaml", env={})
    assert prepare_demo(config, now=NOW + timedelta(hours=1)) == []


def test_same_day_gives_the_same_data(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", today=NOW)
    b = generate_demo(tmp_path / "b", today=NOW)
    pd.testing.assert_frame_equal(pd.read_parquet(a.predictions), pd.read_parquet(b.predictions))


def test_late_labels_recomputed_the_newest_windows_metrics(demo: tuple[Path, list[RunOutcome]]) -> None:
    root, _ = demo
    runs = stored_runs(root)
    coverage = [max((m.label_coverage or 0.0 for m in r.metrics), default=0.0) for r in runs]
    versions = [max((m.version for m in r.metrics), default=0) for r in runs]
    # Labels come 3 to 7 days late: windows older than that are fully labelled, after many versions
    # (one per 6-hour checkpoint at which more labels came); the last days' coverage is still rising,
    # and the newest window, run before any of its labels, has none yet.
    assert all(c == 1.0 for c in coverage[:-8]) and min(versions[:-8]) > 5
    assert any(0 < c < 1 for c in coverage[-8:-1])
    assert coverage[-1] == 0.0 and versions[-1] == 1


def test_the_canary_fails_its_verdict_and_its_error_alert_fires(demo: tuple[Path, list[RunOutcome]]) -> None:
    root, outcomes = demo
    config = load_config(root / "config" / "demo.yaml", env={})
    runtime = build_runtime(config, now=NOW)
    since = outcomes[CANARY_DAY].window.start
    try:
        found = canary.verdict(runtime, "credit-default", candidate="v4", baseline="v3", since=since, now=NOW)
        alerts = list_alerts(runtime, monitor="credit-default")
        errors = [a for a in alerts if a.rule == "version-errors"]
        detail = alert_detail(runtime.sessions, errors[0].id, now=NOW, models=runtime.models())
    finally:
        runtime.close()
    assert found.verdict == "fail"
    failed = {c.name for c in found.checks if c.status == "fail"}
    assert {"max_error_rate", "accuracy"} <= failed, found.reasons
    assert [a.labels["segment"] for a in errors] == ["model_version=v4"]
    assert errors[0].state == "firing"
    # Its rollback, a dry run in the demo, is recorded with the alert: requested once, delivered.
    (action,) = detail.actions
    assert (action.action, action.event, action.status) == ("rollback", "rollback_requested", "delivered")
    assert action.outcome is not None and action.outcome.startswith("dry run")


def test_the_estimate_speaks_before_the_labels(demo: tuple[Path, list[RunOutcome]]) -> None:
    """Every day has an estimate, the last days before any label; the change rule on the estimated
    accuracy fires on the drift's first day and dates the change to it, well before the labels let
    auc-drop fire; and the realised values are compared with the estimates as labels come in."""
    root, outcomes = demo
    config = load_config(root / "config" / "demo.yaml", env={})
    runtime = build_runtime(config, now=NOW)
    try:
        runs = runs_page(runtime, "credit-default", limit=100, offset=0).items
        details = [run_detail(runtime, r.id) for r in (runs[0], runs[-1])]
        alerts = {a.rule: a for a in list_alerts(runtime, monitor="credit-default")}
    finally:
        runtime.close()
    first, last = ({e.metric: e for e in d.estimated_metrics if e.segment == ""} for d in details if d)
    assert last["accuracy"].status == "ok" and last["accuracy"].realised is None  # no label yet
    assert first["accuracy"].realised is not None and first["accuracy"].within_band
    change = alerts["estimated-accuracy-change"]
    drift_day = outcomes[DRIFT_DAY].window.start
    assert change.since_window_start == drift_day  # fired on the drift's first day
    # CUSUM dates the change to the first window of the run of evidence: the drift day, or the day
    # before when that one happened to fall a little below the reference level.
    named = change.summary.rsplit("since the window of ", 1)[1]
    assert named in {f"{drift_day - timedelta(days=d):%Y-%m-%d} 00:00" for d in (0, 1)}
    assert alerts["auc-drop"].since_window_start is not None
    assert alerts["auc-drop"].since_window_start > change.since_window_start
