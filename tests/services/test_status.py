"""The dashboard's status of a monitor: each one reached from real runs, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from monitor import pipeline
from monitor.clock import advancing
from monitor.pipeline.runtime import Runtime
from monitor.services.status import monitor_statuses
from monitor.windows import Window
from tests.conftest import DAY0, RuntimeFactory, monitor_config

DAY = timedelta(days=1)


def at(make_runtime: RuntimeFactory, config: dict[str, Any], moment: datetime) -> Runtime:
    return make_runtime(config, now=moment, clock=advancing(moment))


def status_of(runtime: Runtime) -> tuple[str, str]:
    (found,) = monitor_statuses(runtime)
    return found.status, found.reason


def test_no_runs_then_drifting_then_stale(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    config = monitor_config(db_url)
    runtime = at(make_runtime, config, DAY0 + 4 * DAY + timedelta(hours=1))
    assert status_of(runtime)[0] == "no_runs"
    pipeline.backfill(runtime, "m", DAY0, DAY0 + 4 * DAY, now=DAY0 + 10 * DAY)
    status, reason = status_of(runtime)
    assert status == "drifting" and reason == "drifted: x, colour"
    (found,) = monitor_statuses(runtime)
    assert len(found.drift_spark.split()) == 4 and [a.rule for a in found.firing] == ["drift"]
    later = at(make_runtime, config, DAY0 + 7 * DAY)  # windows of days 4 and 5 never came
    status, reason = status_of(later)
    assert status == "stale" and "no window after 2026-06-05 00:00" in reason


def test_healthy_and_waiting_for_labels(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    config = monitor_config(db_url)
    runtime = at(make_runtime, config, DAY0 + 2 * DAY + timedelta(hours=1))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + 2 * DAY, now=DAY0 + 2 * DAY)  # labels come 2 days late
    status, reason = status_of(runtime)
    assert status == "waiting_for_labels" and reason == "the newest window has 0% of its labels so far"
    pipeline.backfill(runtime, "m", DAY0, DAY0 + 2 * DAY, now=DAY0 + 10 * DAY, recompute=True)
    assert status_of(runtime) == ("healthy", "no drift, no alert")
    (found,) = monitor_statuses(runtime)
    assert found.metric_name == "accuracy" and found.metric_value is not None


def test_a_failed_window_is_failing_whatever_else(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    runtime = at(make_runtime, monitor_config(db_url), DAY0 + DAY + timedelta(hours=1))
    (monitor_files / "predictions.parquet").unlink()
    assert pipeline.run_monitor(runtime, "m", Window(DAY0, DAY0 + DAY), now=DAY0 + DAY).status == "failed"
    status, reason = status_of(runtime)
    assert status == "failing" and reason.startswith("window 2026-06-01 00:00 failed: ")


def test_a_firing_metric_rule_is_degraded(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    config = monitor_config(db_url)
    config["monitors"]["m"]["alerts"] = [
        {"name": "accuracy-low", "signal": "metric", "metric": "accuracy", "op": "<", "threshold": 0.99},
    ]
    runtime = at(make_runtime, config, DAY0 + 2 * DAY + timedelta(hours=1))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + 2 * DAY, now=DAY0 + 10 * DAY)
    assert status_of(runtime) == ("degraded", "performance alert firing: accuracy-low")


def test_a_firing_rule_on_the_estimate_is_degraded(
    sqlite_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    """Before any label: the estimate (CBPE, from a labelled reference) breaches at run time."""
    reference = pd.read_parquet(monitor_files / "reference.parquet")
    rng = np.random.default_rng(2)
    reference["score"] = rng.random(len(reference))
    reference["prediction"] = (reference["score"] > 0.5).astype(int)
    reference["label"] = (rng.random(len(reference)) < reference["score"]).astype(int)
    reference.to_parquet(monitor_files / "reference.parquet")
    config = monitor_config(sqlite_url)
    config["monitors"]["m"]["estimation"] = {"metrics": ["accuracy"]}
    config["monitors"]["m"]["alerts"] = [
        {
            "name": "estimate-low",
            "signal": "estimated_metric",
            "metric": "accuracy",
            "op": "<",
            "threshold": 0.99,
        },
    ]
    runtime = at(make_runtime, config, DAY0 + DAY + timedelta(hours=1))
    pipeline.run_monitor(runtime, "m", Window(DAY0, DAY0 + DAY), now=DAY0 + DAY)
    assert status_of(runtime) == ("degraded", "performance alert firing: estimate-low")
