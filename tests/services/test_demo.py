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
from monitor.services.demo import prepare_demo
from monitor.services.demo_data import DAYS, DRIFT_DAY, NEW_CHANNEL, generate_demo
from monitor.services.monitors import runs_page

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
    features = set(log.columns) - {"prediction_id", "timestamp", "score", "prediction"}
    assert len(features) == 12
    assert NEW_CHANNEL not in set(log.loc[days < DRIFT_DAY, "channel"])
    assert NEW_CHANNEL in set(log.loc[days >= DRIFT_DAY, "channel"])
    joined = labels.merge(log[["prediction_id", "timestamp"]], on="prediction_id")
    delay = joined["labelled_at"] - joined["timestamp"]
    assert delay.min() >= timedelta(days=3) and delay.max() <= timedelta(days=7)
    assert (labels["labelled_at"] <= pd.Timestamp(NOW)).all()


def test_drift_is_found_after_day_40_and_not_before(demo: tuple[Path, list[RunOutcome]]) -> None:
    _, outcomes = demo
    assert len(outcomes) == DAYS and all(o.status == "succeeded" for o in outcomes)
    first = outcomes[0].window.start
    by_day = {(o.window.start - first).days: o for o in outcomes}
    assert [d for d, o in by_day.items() if o.dataset_drifted] == list(range(DRIFT_DAY, DAYS))
    assert (
        "credit_score" in by_day[DRIFT_DAY].drifted_columns and "channel" in by_day[DRIFT_DAY].drifted_columns
    )


def test_auc_decays_and_alerts_fire(demo: tuple[Path, list[RunOutcome]]) -> None:
    _, outcomes = demo
    auc = [o.metrics.get("roc_auc") for o in outcomes]
    before = [a for a in auc[:DRIFT_DAY] if a is not None]
    after = [a for a in auc[DRIFT_DAY + 5 : DAYS - 8] if a is not None]
    assert min(before) > 0.7 and max(after) < 0.65
    fired = [(i, name) for i, o in enumerate(outcomes) for name in o.alerts_fired]
    assert (DRIFT_DAY, "dataset-drift") in fired
    assert any(name.startswith("auc-drop") and i > DRIFT_DAY for i, name in fired)


def test_second_preparation_reuses_everything(demo: tuple[Path, list[RunOutcome]]) -> None:
    root, _ = demo
    config = load_config(root / "config" / "demo.yaml", env={})
    assert prepare_demo(config, now=NOW + timedelta(hours=1)) == []


def test_same_day_gives_the_same_data(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", today=NOW)
    b = generate_demo(tmp_path / "b", today=NOW)
    pd.testing.assert_frame_equal(pd.read_parquet(a.predictions), pd.read_parquet(b.predictions))


def test_late_labels_recomputed_the_newest_windows_metrics(demo: tuple[Path, list[RunOutcome]]) -> None:
    root, outcomes = demo
    config = load_config(root / "config" / "demo.yaml", env={})
    runtime = build_runtime(config, now=NOW)
    try:
        runs = runs_page(runtime, "credit-default", limit=100, offset=0).items
    finally:
        runtime.close()
    versions = {r.window_start: max((m.version for m in r.metrics), default=0) for r in runs}
    recomputed = [start for start, version in versions.items() if version > 1]
    # computed 4 days before NOW with the labels known then, recomputed as the rest arrived
    assert recomputed and max(recomputed) < outcomes[-4].window.start
    newest = runs[-1].metrics[0]
    assert newest.label_coverage is not None and newest.label_coverage < 0.5  # labels still arriving
