"""Performance estimated without labels, per window and segment: the monitor's estimator is fitted on
its labelled reference once per process (monitor.metrics.estimator; a few tenths of a second for
CBPE, about a second for DLE's loss models) and kept in the runtime's cache, keyed by the monitor's
settings and the reference files' fingerprint; each run applies it to the window's rows and to each
segment's (segments with a reference of their own are another model: not estimated)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from monitor.config import MonitorConfig, feature_columns
from monitor.metrics.change import ChangeParameters
from monitor.metrics.estimation import EstimatedMetric
from monitor.metrics.estimator import EstimatorInputs, Parameters, PerformanceEstimator, fit_estimator
from monitor.pipeline.reference import output_columns, read_reference, reference_fingerprint
from monitor.pipeline.segments import capped, segment_names
from monitor.sources import SourceError
from monitor.store.estimates import EstimateRecord

if TYPE_CHECKING:
    from monitor.pipeline.runtime import Runtime

logger = logging.getLogger(__name__)

UNAVAILABLE = "estimator_unavailable"

Levels = dict[str, dict[str, tuple[float, float, int]]]


@dataclass(frozen=True)
class WindowEstimates:
    """A window's estimates (segment "" the whole window) and what rules need beside them."""

    records: list[EstimateRecord]
    # "realised" or "estimated" -> metric -> (mean, std, chunk rows) on reference chunks
    parameters: Levels = field(default_factory=dict)
    warning: str | None = None
    # The same for each segment of the window: its own rows' in the reference when the reference
    # has the segment columns, else the whole reference's (it cannot tell segments apart); none for
    # a segment with a reference of its own (another model) or too few reference rows.
    segment_parameters: dict[str, Levels] = field(default_factory=dict)

    def of_segment(self, segment: str) -> dict[str, float | None]:
        return {r.estimate.metric: r.estimate.value for r in self.records if r.segment == segment}


def estimator_inputs(monitor: MonitorConfig, reference_columns: list[str]) -> EstimatorInputs:
    assert monitor.estimation is not None
    schema = monitor.schema_
    outputs = set(output_columns(monitor))
    features = [c for c in feature_columns(monitor, reference_columns) if c not in outputs]
    return EstimatorInputs(
        task=monitor.task,
        metrics=tuple(monitor.estimation.metrics or ()),
        label=monitor.estimation_label(),
        prediction=schema.prediction_column,
        score=schema.score_column,
        features=tuple(c for c in features if c != monitor.estimation_label()),
        positive_label=monitor.positive_label,
        max_ece=monitor.estimation.max_calibration_error,
        chunk_rows=monitor.estimation.chunk_rows,
        class_scores=tuple(sorted((schema.class_score_columns or {}).items())),
        average=monitor.average,
    )


def monitor_estimator(runtime: Runtime, name: str) -> PerformanceEstimator | str:
    """The monitor's fitted estimator, or why there is none."""
    monitor = runtime.monitor(name)
    key = (name, monitor.config_hash(), reference_fingerprint(runtime, name))
    found = runtime.estimators.get(key)
    if found is not None:
        return found
    try:
        reference = read_reference(runtime, name)
        by = monitor.segments.by if monitor.segments is not None else []
        names = segment_names(reference, by) if by and set(by) <= set(reference.columns) else None
        fitted: PerformanceEstimator | str = fit_estimator(
            estimator_inputs(monitor, [str(c) for c in reference.columns]), reference, names
        )
    except (SourceError, ValueError, KeyError, OSError) as exc:
        logger.warning("%s: performance is not estimated: %s", name, exc)
        fitted = f"no estimator could be fitted on the reference: {exc}"
    runtime.estimators.remember(key, fitted)
    return fitted


def _plain(parameters: Parameters) -> Levels:
    def plain(p: ChangeParameters) -> tuple[float, float, int]:
        return (p.mean, p.std, p.chunk_rows)

    return {kind: {m: plain(p) for m, p in found.items()} for kind, found in parameters.items()}


def _segment_levels(estimator: PerformanceEstimator, segment: str) -> Levels:
    if not estimator.by_segment:
        return _plain(estimator.parameters)
    return _plain(estimator.segment_parameters.get(segment, {}))


def estimate_window(runtime: Runtime, name: str, current: pd.DataFrame) -> WindowEstimates | None:
    """The window's estimates and each shared-reference segment's; None when the monitor does not
    estimate. A reference the estimator cannot be fitted on gives rows saying why, not a failed run."""
    monitor = runtime.monitor(name)
    if monitor.estimation is None:
        return None
    estimator = monitor_estimator(runtime, name)
    if isinstance(estimator, str):
        method = "dle" if monitor.task == "regression" else "cbpe"
        missing = [
            EstimateRecord("", EstimatedMetric.missing(m, len(current), method, UNAVAILABLE), estimator)
            for m in monitor.estimation.metrics or ()
        ]
        return WindowEstimates(missing, warning=estimator)
    note = estimator.warning
    records = [EstimateRecord("", e, note) for e in estimator.estimate(current)]
    levels: dict[str, Levels] = {}
    segments = monitor.segments
    if segments is not None and len(current):
        names, _ = capped(segment_names(current, segments.by), segments.max_segments)
        for segment in map(str, names.value_counts().index):
            if segments.reference_for(segment) is not None:
                continue  # another model's reference: the monitor's calibration says nothing of it
            rows = current[names == segment]
            records += [EstimateRecord(segment, e, note) for e in estimator.estimate(rows)]
            levels[segment] = _segment_levels(estimator, segment)
    return WindowEstimates(records, _plain(estimator.parameters), note, levels)
