"""A `sql` source on a Dask cluster: the window is read on the workers in `compute.sql_ranges` time
ranges, one query each, and the run stores what the same window's local run stores (SQLite and
PostgreSQL tables holding the same prediction log as tests/pipeline/test_cluster.py's files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from distributed import LocalCluster

from monitor import pipeline
from tests.conftest import RuntimeFactory
from tests.pipeline.test_cluster import (
    NOW,
    TESTS,
    WINDOW,
    assert_equal_to_local_and_rows,
    cluster,
    files,
    stored,
)

__all__ = ["cluster", "files"]  # fixtures, shared with test_cluster.py
RANGES = 5


@pytest.fixture
def log_table(files: Path, db_url: str) -> pd.DataFrame:
    """The prediction log as table `prediction_log` of the test's database (times naive UTC)."""
    log = pd.concat(pd.read_parquet(p) for p in sorted((files / "log").glob("*.parquet")))
    log["timestamp"] = log["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None)
    engine = sa.create_engine(db_url)
    try:
        log.to_sql("prediction_log", engine, index=False)
    finally:
        engine.dispose()
    return log


def sql_monitor(db_url: str, compute: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": "toy",
        "source": {"type": "sql", "url": db_url, "table": "prediction_log"},
        "reference": {"type": "files", "path": "reference.parquet"},
        "schema": {"features": ["x", "y", "colour"]},
        "drift": {"tests": TESTS},
        "serving": {"error_column": "failed", "low_confidence": [0.4, 0.6]},
        "compute": compute,
    }


def test_a_sql_window_read_in_ranges_on_the_cluster_stores_what_the_local_run_stores(
    tmp_path: Path,
    files: Path,
    db_url: str,
    log_table: pd.DataFrame,
    make_runtime: RuntimeFactory,
    cluster: LocalCluster,
) -> None:
    (tmp_path / "reference.parquet").symlink_to(files / "reference.parquet")
    dask = {"backend": "dask", "address": cluster.scheduler_address, "sql_ranges": RANGES}
    monitors = {"local": sql_monitor(db_url, {}), "dask": sql_monitor(db_url, dask)}
    runtime = make_runtime({"database": {"url": db_url}, "monitors": monitors})
    local = pipeline.run_monitor(runtime, "local", WINDOW, now=NOW, trigger="schedule")
    on_cluster = pipeline.run_monitor(runtime, "dask", WINDOW, now=NOW, trigger="schedule")
    assert (local.status, on_cluster.status) == ("succeeded", "succeeded"), on_cluster.error
    local_row, local_detail = stored(runtime, local.run_id)
    dask_row, dask_detail = stored(runtime, on_cluster.run_id)
    assert dask_row.row_count == local_row.row_count == 1400  # no row of the window lost or read twice
    start, end = (pd.Timestamp(t).tz_localize(None) for t in (WINDOW.start, WINDOW.end))
    rows = log_table[(log_table.timestamp >= start) & (log_table.timestamp < end)]
    assert_equal_to_local_and_rows(dask_detail, local_detail, rows, files / "reference.parquet")
    assert dask_detail.compute is not None
    assert dask_detail.compute.partitions_total == dask_detail.compute.partitions_done == RANGES
    assert dask_row.facts == local_row.facts


def test_a_sql_source_that_is_down_fails_the_run_with_its_reason(
    tmp_path: Path, files: Path, db_url: str, make_runtime: RuntimeFactory, cluster: LocalCluster
) -> None:
    (tmp_path / "reference.parquet").symlink_to(files / "reference.parquet")
    missing = sql_monitor(db_url, {"backend": "dask", "address": cluster.scheduler_address})
    runtime = make_runtime({"database": {"url": db_url}, "monitors": {"dask": missing}})
    outcome = pipeline.run_monitor(runtime, "dask", WINDOW, now=NOW, trigger="schedule")
    assert outcome.status == "failed"
    assert outcome.error is not None and "prediction_log" in outcome.error, outcome.error
    row, _ = stored(runtime, outcome.run_id)
    assert row.status == "failed" and row.next_retry_at is not None
