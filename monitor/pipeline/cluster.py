"""Computing one window on a Dask cluster (`compute.backend: dask`): the window's Parquet files are read
on the workers (only the columns a run uses, the time filter pushed into the reader), or a SQL or
ingest source's window in `compute.sql_ranges` time ranges, one query per worker task; each piece is
summarised there (monitor/compute/window.py), and only the merged summary comes back.

The results have the shape `compute_window` gives, so the run stores them the same way: feature and
output drift judged on the merged summaries (compare_summaries), data quality from the merged column
facts, the whole window's serving health from merged counts and sketches, and each segment's drift,
quality and health from its own merged summary (cluster_segments.py), and performance estimates from the
estimators' merged summaries, computed in the same pass (cluster_estimates.py). Label metrics take
a pass of their own (cluster_label_runs.py). What this path cannot compute (CSV files, Evidently's
tests) is refused at config load (monitor.config.dask_limits).
The run's row records the cluster and the partitions done as they finish (store.run_compute).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd

from monitor.compute import ComputeError, read_parquet_window, read_pieces
from monitor.compute.window import WindowPiece, WindowPlan, merge_window_pieces, summarise_window_piece
from monitor.config import OTHER_SEGMENT, MonitorConfig
from monitor.drift import ReferenceProfile, compact_plan, compare_summaries
from monitor.errors import mask_url_secrets
from monitor.metrics.serving_partial import health_of_facts, quantile_note
from monitor.pipeline.cluster_estimates import (
    EstimatedPiece,
    cluster_estimates,
    estimation_columns,
    map_with_estimates,
)
from monitor.pipeline.cluster_segments import (
    OwnReference,
    SegmentedPiece,
    SegmentJudging,
    SegmentPlan,
    add_counts,
    count_segments,
    judge_segment,
    kept_segments,
    merge_segmented,
    own_references,
    summarise_segmented,
)
from monitor.pipeline.compute import WindowComputation, quality_options
from monitor.pipeline.reference import drift_options, judged_columns, quality_ignored, reference_profile
from monitor.pipeline.runtime import Runtime
from monitor.pipeline.segments import WHOLE_WINDOW, SegmentComputation, health_columns, hours
from monitor.quality.checks import assess_facts
from monitor.sources import SourceError
from monitor.sources.files import FilesSource
from monitor.sources.ingest import IngestSource, pushed_columns, read_ingest_range
from monitor.sources.sql import SqlSource, read_sql_range
from monitor.store import SessionFactory
from monitor.store.run_compute import record_progress, start_compute
from monitor.windows import Window

T = TypeVar("T")
LOCAL = "a local cluster"
PROGRESS_EVERY = 1.0  # seconds between progress writes (the last one is always written)


@dataclass(frozen=True)
class ClusterRun:
    """The run being computed: what progress is written against."""

    run_id: int
    token: str


def window_plan(
    monitor: MonitorConfig,
    profile: ReferenceProfile,
    names: Sequence[str],
    judged: tuple[list[str], list[str]] | None = None,
) -> tuple[WindowPlan, list[str]]:
    """What the workers need, and the columns to read. `judged`: the features and outputs judged
    against another profile than the one they are picked from (a segment's own reference)."""
    features, outputs = judged or judged_columns(monitor, profile)
    present = [c for c in outputs if c in profile.columns]
    feature_plan = compact_plan(profile, drift_options(monitor.drift, features), parallel=False)
    output_plan = (
        compact_plan(profile, drift_options(monitor.drift, present, dataset_level=False), parallel=False)
        if present
        else None
    )
    health = health_columns(monitor, names)
    plan = WindowPlan(
        feature_plan,
        tuple(features),
        output_plan,
        tuple(present),
        profile.quality,
        tuple(features + outputs),
        health,
    )
    by = monitor.segments.by if monitor.segments is not None else []
    wanted = [*features, *outputs, health.error_column, health.score_column, health.latency_column, *by]
    wanted += estimation_columns(monitor, list(names))
    return plan, list(dict.fromkeys(c for c in wanted if c is not None and c in names))


def progress_writer(sessions: SessionFactory, run: ClusterRun) -> Callable[[int, int], None]:
    """Writes `done` of `total` to the run's row at most every PROGRESS_EVERY seconds, and the last."""
    last = [0.0]

    def write(done: int, total: int) -> None:
        now = time.monotonic()
        if done in (0, total) or now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            record_progress(sessions, run_id=run.run_id, token=run.token, done=done, total=total)

    return write


def window_pieces(monitor: MonitorConfig, window: Window, columns: list[str], paths: list[str]) -> Any:
    """The window as a dask DataFrame of `columns`, read on the workers (no file: one empty piece)."""
    if not paths:
        return [pd.DataFrame({c: pd.Series(dtype=object) for c in columns})]
    return read_parquet_window(
        paths, columns, time_column=monitor.schema_.timestamp_column, start=window.start, end=window.end
    )


def source_reader(
    runtime: Runtime, name: str, window: Window
) -> tuple[Callable[[list[str]], Any], list[str]]:
    """How the workers read the window (given the columns: Parquet partitions, or a SQL or ingest
    source's time ranges), and the names of every column of the data."""
    monitor = runtime.monitor(name)
    source = runtime.source(name)
    time_column = monitor.schema_.timestamp_column
    if isinstance(source, FilesSource):
        paths, names = source.window_files(window.start, window.end)
        return functools.partial(window_pieces, monitor, window, paths=paths), names
    ranges = [(r.start, r.end) for r in window.split(monitor.compute.sql_ranges)]
    if isinstance(source, SqlSource):
        names = source.column_names(window.start, window.end, time_column=time_column)
        read_range = functools.partial(read_sql_range, source.settings, time_column)
        return functools.partial(in_ranges, read_range, ranges), names
    if isinstance(source, IngestSource):  # pushed rows: read from the service's database
        database = worker_database(runtime.config.database_url(), "an ingest source's rows")
        read_range = functools.partial(read_ingest_range, database, monitor)
        return functools.partial(in_ranges, read_range, ranges), pushed_columns(monitor)
    raise SourceError(
        f"monitor {name!r}: a Dask cluster reads a files, sql or ingest source, not {type(source).__name__}"
    )


def in_ranges(
    read_range: Callable[..., pd.DataFrame], ranges: list[tuple[datetime, datetime]], columns: list[str]
) -> list[Any]:
    """The window as one read on the workers per time range: `read_range(columns, start, end)`."""
    return read_pieces(functools.partial(read_range, columns), ranges)


def worker_database(url: str, what: str) -> str:
    """The store's URL as the workers connect to it (for `what`); a database only this process
    holds is refused."""
    if url == "sqlite://" or ":memory:" in url:
        raise ComputeError(
            f"{what} computed on a Dask cluster need a database the workers can reach; "
            "an in-memory SQLite database lives in the service's process only"
        )
    return url


@dataclass(frozen=True)
class ClusterWindow:
    """What came back from the cluster: the window's merged summary, each kept segment's, and what
    the service needs to judge them."""

    whole: WindowPiece
    names: list[str]
    segments: Mapping[str, WindowPiece] = field(default_factory=dict)
    own: Mapping[str, OwnReference] = field(default_factory=dict)
    pooled: int = 0
    estimates: EstimatedPiece | None = None  # None: the monitor does not estimate


def summarise_on_cluster(
    runtime: Runtime, name: str, window: Window, run: ClusterRun, profile: ReferenceProfile, *, now: datetime
) -> ClusterWindow:
    """The window summarised on the cluster: whole, and per segment with `segments`."""
    monitor = runtime.monitor(name)
    read, names = source_reader(runtime, name, window)
    plan, columns = window_plan(monitor, profile, names)
    pieces = read(columns)
    compute = monitor.compute
    backend = runtime.compute_backend(compute)
    total = pieces.npartitions if hasattr(pieces, "npartitions") else len(pieces)
    record = functools.partial(start_compute, runtime.sessions, run_id=run.run_id, token=run.token)
    # What is known before connecting, so a run that cannot reach its cluster still says which.
    record(backend="dask", address=mask_url_secrets(compute.address or LOCAL), workers=None, partitions=total)
    cluster = backend.describe()  # connects: an unreachable scheduler is a ComputeError here
    record(backend="dask", address=cluster["scheduler"], workers=cluster["workers"], partitions=total)
    map_pieces = getattr(backend, "map_pieces", None)
    if map_pieces is None:
        raise ComputeError(f"the {backend.name} backend cannot compute a scheduled window")
    deadline = time.monotonic() + compute.timeout.total_seconds()
    progress = progress_writer(runtime.sessions, run)
    estimating = functools.partial(map_with_estimates, map_pieces, runtime, name)  # and its estimates
    if monitor.segments is None:
        merged, estimated = estimating(
            pieces,
            summarise_window_piece,
            plan,
            merge_window_pieces,
            progress=progress,
            timeout=left(deadline),
            budget=compute.timeout.total_seconds(),
        )
        return ClusterWindow(expect(merged, WindowPiece), names, estimates=estimated)
    by = tuple(monitor.segments.by)
    counted = map_pieces(
        read([c for c in by if c in names] or columns),
        count_segments,
        by,
        add_counts,
        timeout=left(deadline),
        budget=compute.timeout.total_seconds(),
    )
    kept, pooled = kept_segments(expect(counted, dict), monitor.segments.max_segments)
    keep = frozenset(counted) if kept is None else kept
    own = own_references(runtime, name, sorted(keep if kept is None else [*keep, OTHER_SEGMENT]), now=now)
    judged = judged_columns(monitor, profile)
    own_plans = {
        s: window_plan(monitor, o.profile, names, judged)[0] for s, o in own.items() if o.profile is not None
    }
    segmented, estimated = estimating(
        pieces,
        summarise_segmented,
        SegmentPlan(by, keep, plan, own_plans),
        merge_segmented,
        progress=progress,
        timeout=left(deadline),
        budget=compute.timeout.total_seconds(),
    )
    merged_segments = expect(segmented, SegmentedPiece)
    return ClusterWindow(merged_segments.whole, names, merged_segments.segments, own, pooled, estimated)


def left(deadline: float) -> float:
    """Seconds to the window's deadline (compute.timeout over all its passes); at least a little."""
    return max(deadline - time.monotonic(), 0.001)


def expect(merged: Any, kind: type[T]) -> T:
    if not isinstance(merged, kind):
        raise ComputeError(f"the Dask cluster returned {type(merged).__name__}, not a window's summary")
    return merged


def compute_window_on_cluster(
    runtime: Runtime,
    name: str,
    window: Window,
    run: ClusterRun,
    *,
    now: datetime,
    recent_row_counts: Sequence[int] = (),
) -> WindowComputation:
    """What `compute_window` computes of a window, computed on the monitor's Dask cluster."""
    monitor = runtime.monitor(name)
    profile = reference_profile(runtime, name, now=now)
    summarised = summarise_on_cluster(runtime, name, window, run, profile, now=now)
    merged, names = summarised.whole, summarised.names
    features, outputs = judged_columns(monitor, profile)
    drift = compare_summaries(profile, merged.features, drift_options(monitor.drift, features))
    output_drift = None
    if outputs and merged.outputs is not None:
        options = drift_options(monitor.drift, outputs, dataset_level=False)
        output_drift = compare_summaries(profile, merged.outputs, options)
    ignore = quality_ignored(monitor)
    quality = assess_facts(
        merged.rows,
        merged.quality,
        profile.quality,
        columns=features + outputs,
        present=names,
        recent_row_counts=recent_row_counts,
        ignore=ignore,
        kinds={c.column: str(c.kind) for c in drift.columns},
        options=quality_options(monitor),
    )
    health = health_of_facts(merged.health, health_columns(monitor, names), hours=hours(window))
    whole = SegmentComputation(WHOLE_WINDOW, merged.rows, health, note=quantile_note(merged.health))
    judging = SegmentJudging(
        monitor, profile, features, outputs, names, ignore, health_columns(monitor, names), hours(window)
    )
    segments = [whole, *judge_segments(summarised, judging)]
    estimates = cluster_estimates(runtime, name, merged.rows, summarised.estimates)
    return WindowComputation(merged.rows, drift, [], 0, output_drift, quality, None, segments, estimates)


def judge_segments(summarised: ClusterWindow, judging: SegmentJudging) -> list[SegmentComputation]:
    """Each kept segment's results, largest first; "(other)" says how many segments it pools."""
    segments = judging.monitor.segments
    if segments is None:
        return []
    pooled = (
        f"{summarised.pooled} segments beyond segments.max_segments ({segments.max_segments}) are pooled"
        if summarised.pooled
        else None
    )
    order = sorted(summarised.segments.items(), key=lambda item: (-item[1].rows, item[0]))
    return [
        judge_segment(
            segment,
            piece,
            summarised.own.get(segment),
            judging,
            "; ".join(
                n for n in (pooled if segment == OTHER_SEGMENT else None, quantile_note(piece.health)) if n
            )
            or None,
        )
        for segment, piece in order
    ]
