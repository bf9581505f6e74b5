"""The bundled demo: drift found from day 40 on and never before, alerts fire, and the performance
estimated without labels falls on the drift's first day with the realised value following it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.config import load_config
from monitor.pipeline import RunOutcome
from monitor.pipeline.runtime import build_runtime
from monitor.services import canary
from monitor.services.alerts import alert_detail
from monitor.services.demo import prepare_demo
from monitor.services.demo_data import CANARY_DAY, DAYS, DRIFT_DAY, NEW_CHANNEL, generate_demo
from monitor.services.estimate_types import EstimatedMetricOut
from monitor.services.monitors import list_alerts, run_detail, runs_page
from monitor.services.types import RunOut
from tests.demo_build import NOW, demo_copy


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[RunOutcome]]:
    return demo_copy(tmp_path_factory)


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
    # The partner channel: none before the drift, 30% of the drift day, 90% from four days on.
    partner = (log["channel"] == NEW_CHANNEL).groupby(days).mean()
    assert (partner[:DRIFT_DAY] == 0).all()
    assert abs(partner[DRIFT_DAY] - 0.3) < 0.03 and (abs(partner[DRIFT_DAY + 4 :] - 0.9) < 0.03).all()
    joined = labels.merge(log[["prediction_id", "timestamp"]], on="prediction_id")
    delay = joined["labelled_at"] - joined["timestamp"]
    assert delay.min() >= timedelta(days=3) and delay.max() <= timedelta(days=7)
    # Every prediction gets its label, those of the last days at times still to come.
    assert len(labels) == len(log) and (labels["labelled_at"] > pd.Timestamp(NOW)).any()


def test_the_model_stays_calibrated_after_the_shift(demo: tuple[Path, list[RunOutcome]]) -> None:
    """v3's defaults follow its scores after the drift as before: in each band of scores the share
    of defaults is the mean score, within 3 standard errors."""
    root, _ = demo
    log = pd.read_parquet(root / "data" / "demo" / "predictions.parquet")
    labels = pd.read_parquet(root / "data" / "demo" / "labels.parquet")
    rows = log.merge(labels, on="prediction_id")
    days = (rows["timestamp"] - pd.Timestamp(NOW.date(), tz="UTC")).dt.days + DAYS
    after = rows[(days >= DRIFT_DAY) & (rows["model_version"] == "v3")]
    bands = pd.cut(after["score"], [0, 0.2, 0.3, 0.4, 0.6, 1.0])
    for _, band in after.groupby(bands, observed=True):
        p = band["score"].to_numpy()
        error = np.sqrt(np.sum(p * (1 - p))) / len(p)
        assert abs(band["label"].mean() - p.mean()) < 3 * error


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


Estimates = dict[tuple[str, str], EstimatedMetricOut]  # (segment, metric) -> a day's estimate


@pytest.fixture(scope="module")
def estimates(demo: tuple[Path, list[RunOutcome]]) -> list[Estimates]:
    """Each day's estimates (oldest first), with the realised value of their rows known by NOW."""
    root, _ = demo
    config = load_config(root / "config" / "demo.yaml", env={})
    runtime = build_runtime(config, now=NOW)
    try:
        runs = runs_page(runtime, "credit-default", limit=100, offset=0).items
        details = [run_detail(runtime, r.id) for r in runs]
    finally:
        runtime.close()
    return [{(e.segment, e.metric): e for e in d.estimated_metrics} for d in details if d is not None]


V3 = "model_version=v3"


def test_the_realised_accuracy_follows_the_estimate(estimates: list[Estimates]) -> None:
    """The shift in who applies moves the scores toward the cut-off, the model stays calibrated, so
    the realised accuracy falls with the estimate and within its band, for the whole window and for
    v3's rows. From CANARY_DAY a tenth of the rows are v4's, calibrated on v4's own validation set."""
    assert len(estimates) == DAYS
    labelled = [d for d in range(DRIFT_DAY, DAYS) if estimates[d][("", "accuracy")].label_coverage == 1.0]
    assert labelled == list(range(DRIFT_DAY, DAYS - 7))  # labels come within 7 days
    v3 = [estimates[d][(V3, "accuracy")] for d in labelled]
    whole = [estimates[d][("", "accuracy")] for d in labelled]
    # Inside the band on all 13 labelled days after the shift, v3's and the whole window's.
    assert [e.within_band for e in v3] == [True] * 13
    assert [e.within_band for e in whole] == [True] * 13
    # It falls with the estimate: from about 0.72 before the drift to under 0.5 once nine applicants
    # in ten are the partner's, never more than 0.03 from the estimate on the way.
    before = [estimates[d][("", "accuracy")] for d in range(DRIFT_DAY)]
    assert min(e.realised or 0.0 for e in before) > 0.7 and min(e.value or 0.0 for e in before) > 0.7
    assert max(abs(e.error or 1.0) for e in v3) < 0.03
    assert [e.value is not None and e.value < 0.5 for e in v3[4:]] == [True] * 9
    assert [e.realised is not None and e.realised < 0.5 for e in v3[4:]] == [True] * 9
    # The same for ROC AUC: its realised value inside v3's band on every labelled day.
    assert all(estimates[d][(V3, "roc_auc")].within_band for d in labelled)
    # v4 ranks backwards: calibrated on its validation set its scores say little (a nearly flat map),
    # and its estimate says so.
    v4 = [estimates[d][("model_version=v4", "accuracy")] for d in range(CANARY_DAY, DAYS)]
    assert all(e.status == "ok" and "badly calibrated" in (e.note or "") for e in v4)


def test_the_last_days_have_an_estimate_and_no_realised_value(estimates: list[Estimates]) -> None:
    """The last two days, whose labels are still to come at NOW, are estimated at the drifted level;
    the day before them has its first labels (the realised value arriving)."""
    unlabelled = [d for d, e in enumerate(estimates) if e[("", "accuracy")].realised is None]
    assert unlabelled == [DAYS - 2, DAYS - 1]
    for day in unlabelled:
        for metric in ("accuracy", "roc_auc"):
            found = estimates[day][("", metric)]
            assert found.status == "ok" and found.value is not None and found.lower is not None
            assert found.realised is None and found.within_band is None
        assert (estimates[day][("", "accuracy")].value or 1.0) < 0.5
    arriving = estimates[DAYS - 3][("", "accuracy")]
    assert arriving.label_coverage is not None and 0 < arriving.label_coverage < 0.1


def test_the_change_rule_speaks_before_the_labels(demo: tuple[Path, list[RunOutcome]]) -> None:
    """The CUSUM rule on the estimated accuracy fires in the drift day's own run and names that day
    as where the change began, days before the labels let auc-drop fire (its condition begins later,
    and is judged only once 80% of a day's labels are in)."""
    root, outcomes = demo
    config = load_config(root / "config" / "demo.yaml", env={})
    runtime = build_runtime(config, now=NOW)
    try:
        alerts = {a.rule: a for a in list_alerts(runtime, monitor="credit-default")}
    finally:
        runtime.close()
    rule = "estimated-accuracy-change"
    fired = [i for i, o in enumerate(outcomes) for name in o.alerts_fired if name.startswith(rule)]
    assert fired == [DRIFT_DAY]
    change = alerts[rule]
    drift_day = outcomes[DRIFT_DAY].window.start
    assert change.since_window_start == drift_day
    assert change.summary.endswith(f"since the window of {drift_day:%Y-%m-%d} 00:00")
    assert alerts["auc-drop"].since_window_start is not None
    assert alerts["auc-drop"].since_window_start > change.since_window_start
