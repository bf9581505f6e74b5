"""The label passes a Dask monitor's runs and label refreshes send to its cluster (cluster_labels.py):
a window's first metrics and ids, an older window's ids, and a window's later metric versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from monitor.compute import ComputeError
from monitor.label_time import final_checkpoint
from monitor.metrics.partial import metrics_from
from monitor.pipeline.cluster import ClusterRun, expect, source_reader, worker_database
from monitor.pipeline.cluster_labels import (
    LabelPiece,
    LabelPlan,
    label_columns,
    label_piece,
    merge_label_pieces,
    segment_metrics,
)
from monitor.pipeline.compute import RunLabels, WindowComputation, label_checkpoint
from monitor.pipeline.labels import MetricVersion, metric_settings
from monitor.pipeline.runtime import Runtime
from monitor.store import labels as label_store
from monitor.store import transaction
from monitor.windows import Window


def label_pass(runtime: Runtime, name: str, window: Window, plan: LabelPlan) -> LabelPiece:
    """The window read on the monitor's cluster once more, for its labels; merged there."""
    monitor = runtime.monitor(name)
    read, names = source_reader(runtime, name, window)
    backend = runtime.compute_backend(monitor.compute)
    map_pieces = getattr(backend, "map_pieces", None)
    if map_pieces is None:
        raise ComputeError(f"the {backend.name} backend cannot compute a window's labels")
    budget = monitor.compute.timeout.total_seconds()
    pieces = read(label_columns(monitor, names))
    merged = map_pieces(pieces, label_piece, plan, merge_label_pieces, timeout=budget, budget=budget)
    return expect(merged, LabelPiece)


def _plan(runtime: Runtime, name: str, monitor_id: int, run_id: int, **counting: Any) -> LabelPlan:
    """A label pass's plan for the run's window: `counting` says whether its ids are stored and
    which checkpoints its labels are counted at (LabelPlan)."""
    monitor = runtime.monitor(name)
    database = worker_database(runtime.config.database_url(), "labels")
    return LabelPlan(monitor, database, monitor_id, run_id, settings=metric_settings(monitor), **counting)


def add_cluster_labels(
    runtime: Runtime, name: str, window: Window, run: ClusterRun, result: WindowComputation
) -> WindowComputation:
    """A window computed on the cluster, with its metrics as of its label checkpoint, each segment's,
    and its prediction ids stored by the workers."""
    monitor = runtime.monitor(name)
    if monitor.labels is None:
        return result
    point = label_checkpoint(runtime, name, window, run.run_id)
    with transaction(runtime.sessions) as session:  # an earlier attempt's ids, if any
        label_store.clear_window_ids(session=session, run_id=run.run_id)
    known = tuple(s.segment for s in result.segments if s.segment)
    plan = _plan(
        runtime,
        name,
        point.monitor_id,
        run.run_id,
        save_ids=True,
        after=point.as_of,
        through=point.as_of,
        segments=known,
    )
    settings = plan.settings
    merged = label_pass(runtime, name, window, plan)
    counted = merged.as_of(point.as_of, monitor.task)
    metrics = metrics_from(counted.whole, settings)
    by_segment = segment_metrics(counted, settings, known)
    segments = [
        replace(s, labelled_count=by_segment[s.segment][0], metrics=by_segment[s.segment][1])
        if s.segment
        else s
        for s in result.segments
    ]
    labels = RunLabels(None, counted.rows, point.as_of, point.pulled_through)
    return replace(result, metrics=metrics, labelled_count=counted.rows, labels=labels, segments=segments)


def adopt_on_cluster(runtime: Runtime, name: str, run: label_store.LabelledRun, mid: int) -> None:
    """An older window's prediction ids, stored by the workers (nothing counted)."""
    with transaction(runtime.sessions) as session:
        label_store.clear_window_ids(session=session, run_id=run.run_id)
    plan = _plan(runtime, name, mid, run.run_id, save_ids=True, after=None, through=None)
    label_pass(runtime, name, Window(run.start, run.end), plan)


def versions_on_cluster(
    runtime: Runtime, name: str, run: label_store.LabelledRun, mid: int, *, as_of: datetime, known: list[str]
) -> list[MetricVersion]:
    """The window's metrics as of each checkpoint at which labels of its rows became known, since the
    checkpoint its latest metrics were computed as of (label_refresh._versions, on the cluster)."""
    monitor = runtime.monitor(name)
    assert monitor.labels is not None
    step, window = monitor.labels.recompute_every, Window(run.start, run.end)
    through = min(as_of, final_checkpoint(run.end, monitor.labels.horizon, step))
    after = run.labels_as_of
    plan = _plan(
        runtime,
        name,
        mid,
        run.run_id,
        save_ids=False,
        after=after,
        through=through,
        segments=tuple(known),
        pulled_through=run.labels_pulled_through,
    )
    settings = plan.settings
    merged = label_pass(runtime, name, window, plan)
    if after is None and run.labels_pulled_through is not None:
        points = [through]  # computed before the label stream: its history is not replayed
    else:
        points = sorted(p for p in merged.counted if after is None or p > after)
    if merged.late and through not in points:
        points.append(through)
    out = []
    for point in points:
        counted = merged.as_of(point, monitor.task)
        by_segment = segment_metrics(counted, settings, tuple(known))
        out.append(
            MetricVersion(
                run.run_id,
                window,
                point,
                metrics_from(counted.whole, settings),
                counted.rows / merged.rows if merged.rows else None,
                counted.rows,
                {s: metrics for s, (_, metrics) in by_segment.items()},
                {s: rows for s, (rows, _) in by_segment.items()},
            )
        )
    return out
