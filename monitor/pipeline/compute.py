"""Computing one window: read it, compare it with the reference profile, join its labels, check its
quality. Writes nothing but the reference profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from monitor.config import MonitorConfig
from monitor.drift import DatasetDrift, compare_datasets
from monitor.label_time import first_checkpoint
from monitor.metrics import MetricValue
from monitor.pipeline.estimates import WindowEstimates, estimate_window
from monitor.pipeline.labels import counted_as_of, join_labels, prediction_ids, window_metrics
from monitor.pipeline.reference import drift_options, judged_columns, quality_ignored, reference_profile
from monitor.pipeline.runtime import Runtime
from monitor.pipeline.segments import SegmentComputation, SegmentInputs, compute_segments
from monitor.quality import QualityOptions, QualityReport, assess_window
from monitor.sources.base import source_columns
from monitor.store import labels as label_store
from monitor.store.monitors import monitor_id
from monitor.windows import Window


@dataclass(frozen=True)
class WindowComputation:
    row_count: int
    drift: DatasetDrift
    metrics: list[MetricValue]
    labelled_count: int
    # Drift of the model's own outputs (prediction, scores), apart from the features' drift share.
    output_drift: DatasetDrift | None = None
    quality: QualityReport | None = None
    labels: RunLabels | None = None  # None: the monitor has no labels
    # The whole window's serving health (segment ""), then each segment's results.
    segments: list[SegmentComputation] = field(default_factory=list)
    estimates: WindowEstimates | None = None  # None: the monitor does not estimate performance


@dataclass(frozen=True)
class RunLabels:
    """What a run knows of its window's labels: the ids to find late ones by, and the checkpoint
    its metrics count the labels as of."""

    ids: list[str] | None  # None: stored by a cluster's workers as they read the window
    labelled: int  # the rows whose label the metrics count
    as_of: datetime | None  # None: no label was ever pulled
    pulled_through: datetime | None
    counted: pd.DataFrame | None = None  # those rows, when the window was read here


def quality_options(monitor: MonitorConfig) -> QualityOptions:
    q = monitor.quality
    return QualityOptions(
        q.row_count_change, q.missing_share_increase, q.out_of_range_share, q.new_category_share
    )


def label_checkpoint(runtime: Runtime, name: str, window: Window, run_id: int) -> LabelCheckpoint:
    """The checkpoint a window's metrics count its labels as of: its first (when it is run, in data
    time), or that of its latest metrics when it is computed again."""
    monitor = runtime.monitor(name)
    assert monitor.labels is not None
    with runtime.sessions() as session:
        mid = monitor_id(session=session, name=name)
        assert mid is not None
        mark = label_store.watermark(session=session, monitor_id=mid)
        previous = label_store.run_checkpoint(session=session, run_id=run_id)
    if previous is not None:
        as_of: datetime | None = previous
    elif mark is not None:
        as_of = first_checkpoint(window.end, monitor.schedule.delay, mark, monitor.labels.recompute_every)
    else:
        as_of = None
    return LabelCheckpoint(mid, as_of, mark)


@dataclass(frozen=True)
class LabelCheckpoint:
    monitor_id: int
    as_of: datetime | None  # None: no label was ever pulled
    pulled_through: datetime | None  # the label stream's watermark


def run_labels(
    runtime: Runtime, name: str, current: pd.DataFrame, window: Window, run_id: int
) -> RunLabels | None:
    """The window's labels as of its label checkpoint (label_checkpoint)."""
    monitor = runtime.monitor(name)
    if monitor.labels is None:
        return None
    ids = prediction_ids(monitor, current)
    point = label_checkpoint(runtime, name, window, run_id)
    with runtime.sessions() as session:
        stored = label_store.label_columns_of_ids(session=session, monitor_id=point.monitor_id, ids=ids)
    counted = counted_as_of(join_labels(monitor, current, stored), point.as_of)
    return RunLabels(ids, len(counted), point.as_of, point.pulled_through, counted)


def compute_window(
    runtime: Runtime,
    name: str,
    window: Window,
    *,
    run_id: int,
    now: datetime,
    recent_row_counts: Sequence[int] = (),
) -> WindowComputation:
    """Reads the window and computes drift, metrics and data quality."""
    monitor = runtime.monitor(name)
    schema = monitor.schema_
    profile = reference_profile(runtime, name, now=now)
    current = runtime.source(name).read(window.start, window.end, time_column=schema.timestamp_column)
    features, outputs = judged_columns(monitor, profile)
    drift = compare_datasets(profile, current, drift_options(monitor.drift, features))
    output_drift = (
        compare_datasets(profile, current, drift_options(monitor.drift, outputs, dataset_level=False))
        if outputs
        else None
    )
    labels = run_labels(runtime, name, current, window, run_id)
    counted = labels.counted if labels is not None else None
    metrics = window_metrics(monitor, counted) if counted is not None else []
    ignore = quality_ignored(monitor)
    # Quality compares the window with the profile's summary of the reference, which is not read.
    # Every column of the data, read or not: a column new in it is a finding.
    present = source_columns(current)
    quality = assess_window(
        current,
        profile.quality,
        columns=features + outputs,
        recent_row_counts=recent_row_counts,
        ignore=ignore,
        kinds={c.column: str(c.kind) for c in drift.columns},
        options=quality_options(monitor),
        present=present,
    )
    labelled = labels.labelled if labels is not None else 0
    inputs = SegmentInputs(
        current,
        counted,
        profile,
        features,
        outputs,
        quality_options(monitor),
        ignore,
        present,
    )
    segments = compute_segments(runtime, name, window, inputs, now=now)
    estimates = estimate_window(runtime, name, current)
    return WindowComputation(
        len(current), drift, metrics, labelled, output_drift, quality, labels, segments, estimates
    )
