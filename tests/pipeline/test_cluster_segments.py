"""Segments (`segments.by`) on a Dask cluster: each segment's drift, quality and health equal the local
run's, with the same pooling into "(other)" and a segment judged against its own reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from distributed import LocalCluster
from scipy.stats import ks_2samp

from monitor import pipeline
from monitor.config import OTHER_SEGMENT
from monitor.pipeline.cluster_segments import add_counts, kept_segments
from monitor.pipeline.runtime import Runtime
from monitor.pipeline.segments import capped
from monitor.services.segment_types import SegmentOut
from monitor.store.segments import segments_of_run
from tests.conftest import RuntimeFactory
from tests.pipeline.test_cluster import NOW, WINDOW, cluster, files, make, monitor

__all__ = ["cluster", "files", "make"]  # fixtures, shared with test_cluster.py
# colour: red, green, blue, violet (new in the window's day) and missing; 4 kept at most, so the
# two smallest are pooled. Green has a reference of its own.
SEGMENTS = {
    "by": ["colour"],
    "max_segments": 4,
    "references": {"green": {"type": "files", "path": "green.parquet"}},
}


def segment_results(runtime: Runtime, run_id: int | None) -> dict[str, SegmentOut]:
    assert run_id is not None
    with runtime.sessions() as session:
        return {r.segment: SegmentOut.from_row(r) for r in segments_of_run(session=session, run_id=run_id)}


def comparable(segment: SegmentOut) -> tuple[Any, ...]:
    health = segment.health
    return (
        segment.row_count,
        segment.drift_share,
        segment.dataset_drifted,
        segment.drifted_columns,
        segment.reference,
        segment.drift,
        segment.quality_findings,
        health.error_rate,
        health.low_confidence_share,
        health.score_quantiles,  # from merged KLL sketches, exact while they hold every score
        health.latency_p50,
        health.latency_p99,
    )


def run_both(runtime: Runtime) -> tuple[dict[str, SegmentOut], dict[str, SegmentOut]]:
    """The window run by monitors "dask" and "local"; each segment's results, the same bit for bit."""
    local = pipeline.run_monitor(runtime, "local", WINDOW, now=NOW, trigger="schedule")
    on_cluster = pipeline.run_monitor(runtime, "dask", WINDOW, now=NOW, trigger="schedule")
    assert (local.status, on_cluster.status) == ("succeeded", "succeeded"), on_cluster.error
    mine, theirs = segment_results(runtime, on_cluster.run_id), segment_results(runtime, local.run_id)
    assert set(mine) == set(theirs)
    for segment, result in theirs.items():
        assert comparable(mine[segment]) == comparable(result), segment
    return mine, theirs


def test_segments_on_the_cluster_equal_the_local_ones(
    make: Any,
    make_runtime: RuntimeFactory,
    db_url: str,
    cluster: LocalCluster,
    files: Path,
    tmp_path: Path,
) -> None:
    """`make` links the module's files beside the config; the config is this test's own."""
    reference = pd.read_parquet(files / "reference.parquet")
    green = reference[reference["colour"] == "green"].assign(x=lambda f: f["x"] + 0.3)
    green.to_parquet(tmp_path / "green.parquet")
    dask = {"backend": "dask", "address": cluster.scheduler_address}
    monitors = {name: {**monitor(c), "segments": SEGMENTS} for name, c in (("local", {}), ("dask", dask))}
    runtime = make_runtime({"database": {"url": db_url}, "monitors": monitors})
    assert runtime.monitor("dask").segments is not None
    mine, theirs = run_both(runtime)
    assert set(mine) == {"", "colour=red", "colour=green", "colour=blue", "(other)"}
    assert mine["colour=green"].reference == "own" and mine["colour=red"].reference == "shared"
    assert theirs["(other)"].note is not None and theirs["(other)"].note in (mine["(other)"].note or "")
    assert mine["colour=red"].note is None  # nothing left out or approximate
    assert (
        mine["colour=red"].health.latency_p99 is not None
        and len(mine["colour=red"].health.score_quantiles) == 5
    )
    # Green's KS against its own reference, on the window's green rows read here with pandas.
    log = pd.concat(pd.read_parquet(p) for p in sorted((files / "log").glob("*.parquet")))
    rows = log[(log.timestamp >= WINDOW.start) & (log.timestamp < WINDOW.end) & (log.colour == "green")]
    ks = ks_2samp(green["x"].dropna(), rows["x"].dropna())
    found = {(d["column"], d["test"]): d for d in mine["colour=green"].drift}
    assert found[("x", "ks")]["statistic"] == pytest.approx(ks.statistic, abs=1e-12)
    assert mine["colour=green"].row_count == len(rows)


@pytest.mark.parametrize("max_segments", [1, 2, 3, 5, 8])
def test_segments_kept_from_counts_are_those_capped_from_rows(max_segments: int) -> None:
    # Ties on purpose: b and c have 3 rows each, d and e 2; the names decide.
    names = pd.Series(list("aaaa" + "bbb" + "ccc" + "dd" + "ee" + "f"))
    capped_names, pooled = capped(names, max_segments)
    keep, pooled_from_counts = kept_segments(
        add_counts(count_map(names[:7]), count_map(names[7:])), max_segments
    )
    expected = set(capped_names) - {OTHER_SEGMENT} if pooled else None
    assert (keep, pooled_from_counts) == (expected, pooled)


def count_map(names: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in names.value_counts().items()}


def test_an_integer_segment_column_with_missing_values_names_its_segments_alike_in_every_piece(
    make: Any, make_runtime: RuntimeFactory, db_url: str, cluster: LocalCluster, files: Path
) -> None:
    """Read from SQL, an INTEGER column is int64 in a piece without NULL and float64 in one with:
    its segments are named by value ("region=1") in both, on the cluster and locally alike."""
    log = pd.concat(pd.read_parquet(p) for p in sorted((files / "log").glob("*.parquet")))
    log["timestamp"] = log["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None)
    region = pd.Series(np.arange(len(log)) % 3, dtype="Int64")
    late = (log["timestamp"].dt.hour >= 22).to_numpy()  # NULLs in the last pieces of each day only
    log["region"] = region.mask(late & (np.arange(len(log)) % 2 == 0)).to_numpy()
    engine = sa.create_engine(db_url)
    try:
        log.to_sql("segment_log", engine, index=False, dtype={"region": sa.Integer()})
    finally:
        engine.dispose()
    source = {"type": "sql", "url": db_url, "table": "segment_log"}
    dask = {"backend": "dask", "address": cluster.scheduler_address, "sql_ranges": 6}
    monitors = {
        name: {**monitor(c), "source": source, "segments": {"by": ["region"]}}
        for name, c in (("local", {}), ("dask", dask))
    }
    runtime = make_runtime({"database": {"url": db_url}, "monitors": monitors})
    mine, _ = run_both(runtime)
    assert set(mine) == {"", "region=0", "region=1", "region=2", "region=(missing)"}
    in_window = (log["timestamp"] >= WINDOW.start.replace(tzinfo=None)) & (
        log["timestamp"] < WINDOW.end.replace(tzinfo=None)
    )
    assert mine["region=1"].row_count == int((log.loc[in_window, "region"] == 1).sum())


def test_a_segment_whose_own_reference_cannot_be_read_is_judged_on_the_rest_alike(
    make: Any, make_runtime: RuntimeFactory, db_url: str, cluster: LocalCluster
) -> None:
    segments = {"by": ["colour"], "references": {"green": {"type": "files", "path": "absent.parquet"}}}
    dask = {"backend": "dask", "address": cluster.scheduler_address}
    monitors = {name: {**monitor(c), "segments": segments} for name, c in (("local", {}), ("dask", dask))}
    mine, theirs = run_both(make_runtime({"database": {"url": db_url}, "monitors": monitors}))
    for found in (mine["colour=green"], theirs["colour=green"]):
        assert found.reference == "own" and found.drift == [] and found.drift_share is None
        assert found.note is not None and "its own reference could not be read" in found.note
    assert mine["colour=green"].quality_findings == theirs["colour=green"].quality_findings
    assert mine["colour=red"].drift and mine["colour=red"].reference == "shared"


def test_a_segment_column_the_data_lacks_makes_one_missing_segment_alike(
    make: Any, make_runtime: RuntimeFactory, db_url: str, cluster: LocalCluster
) -> None:
    dask = {"backend": "dask", "address": cluster.scheduler_address}
    monitors = {
        name: {**monitor(c), "segments": {"by": ["absent", "colour"], "max_segments": 2}}
        for name, c in (("local", {}), ("dask", dask))
    }
    mine, _ = run_both(make_runtime({"database": {"url": db_url}, "monitors": monitors}))
    kept = [name for name in mine if name not in ("", "(other)")]
    assert len(mine) == 3 and len(kept) == 1 and kept[0].startswith("absent=(missing),colour=")
    assert mine[kept[0]].row_count + mine["(other)"].row_count == mine[""].row_count == 1400
    assert (
        mine["(other)"].note is not None
        and "segments beyond segments.max_segments (2)" in mine["(other)"].note
    )
