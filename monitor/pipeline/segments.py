"""A window split by the monitor's `segments.by` columns: each segment's drift (against its own
reference or the monitor's), metrics, data quality and serving health; and the whole window's
serving health. Pure of storage: the run stores what this returns."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import pandas as pd

from monitor.alerting.facts import window_facts
from monitor.config import MISSING_VALUE, OTHER_SEGMENT, MonitorConfig
from monitor.drift import DatasetDrift, ReferenceProfile, compare_datasets
from monitor.metrics import MetricValue
from monitor.metrics.serving import ServingHealth, serving_health
from monitor.metrics.serving_partial import HealthColumns
from monitor.pipeline.labels import window_metrics
from monitor.pipeline.reference import drift_options, reference_profile
from monitor.pipeline.runtime import Runtime
from monitor.quality import QualityOptions, QualityReport, assess_window
from monitor.quality.labels import category_labels
from monitor.rules import WindowFacts
from monitor.sources import SourceError
from monitor.store.segments import SegmentRecord
from monitor.windows import Window

logger = logging.getLogger(__name__)

WHOLE_WINDOW = ""  # the segment name of the whole window's serving health


@dataclass(frozen=True)
class SegmentComputation:
    segment: str
    row_count: int
    health: ServingHealth
    drift: DatasetDrift | None = None
    output_drift: DatasetDrift | None = None
    metrics: list[MetricValue] = field(default_factory=list)
    labelled_count: int = 0
    quality: QualityReport | None = None
    reference: str = "shared"  # own: the segment's own reference
    note: str | None = None


def segment_names(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """Each row's segment: `column=value`, joined by "," for several columns. A missing column or
    value is a value of its own, never a dropped row. Values are labelled as categories are
    (monitor.quality.labels), so an integer column that is float where it has a missing value, in
    one window or one piece of a window read on a cluster, names its segments the same."""
    parts = []
    for column in by:
        text = pd.Series(MISSING_VALUE, index=frame.index, dtype=object)
        if column in frame.columns:
            values = frame[column]
            present = values.notna().to_numpy()
            if isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype(values.cat.categories.dtype)
            text[present] = category_labels(values[present])
        parts.append(column + "=" + text)
    names = parts[0]
    for part in parts[1:]:
        names = names + "," + part
    return names.astype(str)


def pooled(names: pd.Series, keep: Collection[str]) -> pd.Series:
    """Each row's segment, "(other)" for the rows of a segment not in `keep`."""
    return names.where(names.isin(keep), OTHER_SEGMENT)


def capped(names: pd.Series, max_segments: int) -> tuple[pd.Series, int]:
    """The `max_segments` largest segments kept (ties by name), the rest pooled as "(other)"; and
    how many were pooled."""
    counts = names.value_counts()
    order = sorted(counts.index, key=lambda n: (-int(counts[n]), str(n)))
    if len(order) <= max_segments:
        return names, 0
    keep = set(order[: max_segments - 1])
    return pooled(names, keep), len(order) - len(keep)


def split_counted(monitor: MonitorConfig, counted: pd.DataFrame, known: list[str]) -> dict[str, pd.DataFrame]:
    """The labelled rows of each of a window's stored segments (rows of segments pooled when the
    window was run count for "(other)")."""
    if monitor.segments is None or not known:
        return {}
    names = segment_names(counted, monitor.segments.by)
    if OTHER_SEGMENT in known:
        names = pooled(names, set(known))
    return {segment: counted[names == segment] for segment in known}


def hours(window: Window) -> float:
    return (window.end - window.start).total_seconds() / 3600


def health_columns(monitor: MonitorConfig, names: Sequence[str]) -> HealthColumns:
    """The columns serving health reads, of a window whose columns are `names`."""
    serving, score = monitor.serving, monitor.schema_.score_column
    return HealthColumns(
        serving.error_column,
        serving.error_values,
        # The score column is a default the data may lack; the serving columns are named on purpose.
        score if score in names else None,
        serving.low_confidence,
        serving.latency_column,
    )


def health_of(monitor: MonitorConfig, rows: pd.DataFrame, window: Window) -> ServingHealth:
    columns = health_columns(monitor, list(rows.columns))
    return serving_health(
        rows,
        latency_column=columns.latency_column,
        error_column=columns.error_column,
        error_values=columns.error_values,
        score_column=columns.score_column,
        low_confidence=columns.low_confidence,
        hours=hours(window),
    )


@dataclass(frozen=True)
class SegmentInputs:
    """What each segment is computed from: the window's rows, its counted labels, the shared profile."""

    current: pd.DataFrame
    counted: pd.DataFrame | None  # None: the monitor has no labels
    profile: ReferenceProfile
    features: list[str]
    outputs: list[str]
    quality_options: QualityOptions
    ignore: set[str]
    present: list[str]  # every column of the data, read or not (monitor.sources.base.source_columns)


def compute_segments(
    runtime: Runtime, name: str, window: Window, inputs: SegmentInputs, *, now: datetime
) -> list[SegmentComputation]:
    """The whole window's health, then each segment's results, largest segment first."""
    monitor = runtime.monitor(name)
    whole = SegmentComputation(WHOLE_WINDOW, len(inputs.current), health_of(monitor, inputs.current, window))
    if monitor.segments is None:
        return [whole]
    names, pooled = capped(segment_names(inputs.current, monitor.segments.by), monitor.segments.max_segments)
    note = (
        f"{pooled} segments beyond segments.max_segments ({monitor.segments.max_segments}) are pooled"
        if pooled
        else None
    )
    counted_names = None
    if inputs.counted is not None:
        counted_names = segment_names(inputs.counted, monitor.segments.by)
        if pooled:
            counted_names = counted_names.where(counted_names.isin(set(names)), OTHER_SEGMENT)
    out = [whole]
    for segment in names.value_counts().index:
        rows = inputs.current[names == segment]
        counted = (
            None
            if counted_names is None or inputs.counted is None
            else inputs.counted[counted_names == segment]
        )
        computed = _one_segment(runtime, name, str(segment), rows, counted, inputs, window, now=now)
        if segment == OTHER_SEGMENT and note:  # beside, not instead of, a note of its own
            computed = replace(computed, note="; ".join(n for n in (note, computed.note) if n))
        out.append(computed)
    return out


def _one_segment(
    runtime: Runtime,
    name: str,
    segment: str,
    rows: pd.DataFrame,
    counted: pd.DataFrame | None,
    inputs: SegmentInputs,
    window: Window,
    *,
    now: datetime,
) -> SegmentComputation:
    monitor = runtime.monitor(name)
    assert monitor.segments is not None
    own = monitor.segments.reference_for(segment) is not None
    profile, note = inputs.profile, None
    if own:
        try:
            profile = reference_profile(runtime, name, now=now, segment=segment)
        except (SourceError, ValueError, KeyError, OSError) as exc:
            # The segment is still judged on everything else; its drift waits for a readable reference.
            logger.warning("%s: the reference of segment %s could not be read: %s", name, segment, exc)
            note = f"its own reference could not be read: {exc}"
    drift = output_drift = None
    if note is None:
        drift = compare_datasets(profile, rows, drift_options(monitor.drift, inputs.features))
        outputs = [c for c in inputs.outputs if c in profile.columns]
        if outputs:
            output_drift = compare_datasets(profile, rows, drift_options(monitor.drift, outputs))
    quality = assess_window(
        rows,
        profile.quality,
        columns=inputs.features + inputs.outputs,
        ignore=inputs.ignore,
        kinds={c.column: str(c.kind) for c in drift.columns} if drift else None,
        options=inputs.quality_options,
        present=inputs.present,
    )
    metrics = window_metrics(monitor, counted) if counted is not None else []
    return SegmentComputation(
        segment,
        len(rows),
        health_of(monitor, rows, window),
        drift,
        output_drift,
        metrics,
        0 if counted is None else len(counted),
        quality,
        "own" if own else "shared",
        note,
    )


def health_measures(health: ServingHealth) -> dict[str, float | None]:
    """The scalar measures alert rules watch (signal `health`)."""
    return health.measures()


def segment_records(segments: list[SegmentComputation], labels_as_of: datetime | None) -> list[SegmentRecord]:
    return [
        SegmentRecord(
            s.segment,
            s.row_count,
            s.health.to_json(),
            s.drift,
            s.output_drift,
            s.metrics,
            s.labelled_count,
            {
                "signals": s.quality.signals(),
                "findings": [c.text for c in s.quality.findings],
            }
            if s.quality
            else {},
            s.reference,
            s.note,
            labels_as_of,
        )
        for s in segments
    ]


def segment_window_facts(segments: list[SegmentComputation], window: Window) -> dict[str, WindowFacts]:
    """What per-segment rules see of each segment."""
    return {
        s.segment: window_facts(
            s.drift,
            s.metrics,
            s.row_count,
            window=window,
            quality=s.quality.signals() if s.quality else None,
            health=health_measures(s.health),
        )
        for s in segments
        if s.segment != WHOLE_WINDOW
    }
