"""Computing one window: read it, compare it with the reference profile, join its labels, check its
quality. Writes nothing but the reference profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.config import MonitorConfig, role_columns
from monitor.drift import DatasetDrift, compare_datasets
from monitor.metrics import MetricValue
from monitor.pipeline.labels import labelled_rows, window_metrics
from monitor.pipeline.reference import drift_options, output_columns, reference_profile
from monitor.pipeline.runtime import Runtime
from monitor.quality import QualityOptions, QualityReport, assess_window
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


def quality_options(monitor: MonitorConfig) -> QualityOptions:
    q = monitor.quality
    return QualityOptions(
        q.row_count_change, q.missing_share_increase, q.out_of_range_share, q.new_category_share
    )


def compute_window(
    runtime: Runtime, name: str, window: Window, *, now: datetime, recent_row_counts: Sequence[int] = ()
) -> WindowComputation:
    """Reads the window and computes drift, metrics and data quality."""
    monitor = runtime.monitor(name)
    schema = monitor.schema_
    profile = reference_profile(runtime, name, now=now)
    current = runtime.source(name).read(window.start, window.end, time_column=schema.timestamp_column)
    outputs = [c for c in output_columns(monitor) if c in profile.columns]
    features = (
        list(schema.features)
        if schema.features is not None
        else [c for c in profile.columns if c not in outputs]
    )
    drift = compare_datasets(profile, current, drift_options(monitor.drift, features))
    # The outputs' drift needs them in the reference (a training set may hold only features and labels).
    output_drift = (
        compare_datasets(profile, current, drift_options(monitor.drift, outputs)) if outputs else None
    )
    labelled = labelled_rows(runtime, name, current, window, now=now)
    metrics = window_metrics(monitor, labelled)
    # Times, ids and labels are never new columns; outputs the reference lacks are reported as new.
    ignore = {r.column for r in role_columns(monitor) if r.role not in ("prediction", "score")}
    # Quality compares the window with the profile's summary of the reference, which is not read.
    quality = assess_window(
        current,
        profile.quality,
        columns=features + outputs,
        recent_row_counts=recent_row_counts,
        ignore=ignore,
        kinds={c.column: str(c.kind) for c in drift.columns},
        options=quality_options(monitor),
    )
    return WindowComputation(len(current), drift, metrics, len(labelled), output_drift, quality)
