"""Performance estimated without labels, per window and segment: the monitor's estimator is fitted on
its labelled reference once per process (monitor.metrics.estimator; a few tenths of a second for
CBPE, about a second for DLE's loss models) and kept in the runtime's cache, keyed by the monitor's
settings and the reference files' fingerprint; each run applies it to the window's rows and to each
segment's. A segment with a reference of its own (`segments.references`) is another model: its rows
are estimated by an estimator fitted on that reference, and the whole window's binary CBPE calibrates
each row by the model that scored it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from monitor.config import MonitorConfig, feature_columns
from monitor.metrics.change import ChangeParameters
from monitor.metrics.estimation import EstimatedMetric
from monitor.metrics.estimator import (
    EstimatorInputs,
    Parameters,
    PerformanceEstimator,
    estimate_mixed,
    fit_estimator,
)
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


def monitor_estimator(runtime: Runtime, name: str, segment: str | None = None) -> PerformanceEstimator | str:
    """The monitor's fitted estimator, or a segment's fitted on its own reference (another model's:
    `segments.references`); or why there is none."""
    monitor = runtime.monitor(name)
    cached_as = name if segment is None else f"{name}[{segment}]"
    key = (cached_as, monitor.config_hash(), reference_fingerprint(runtime, name, segment))
    found = runtime.estimators.get(key)
    if found is not None:
        return found
    try:
        reference = read_reference(runtime, name, segment)
        by = monitor.segments.by if monitor.segments is not None and segment is None else []
        names = segment_names(reference, by) if by and set(by) <= set(reference.columns) else None
        fitted: PerformanceEstimator | str = fit_estimator(
            estimator_inputs(monitor, [str(c) for c in reference.columns]), reference, names
        )
    except (SourceError, ValueError, KeyError, OSError) as exc:
        logger.warning("%s: performance is not estimated: %s", cached_as, exc)
        where = "the reference" if segment is None else f"the reference of segment {segment}"
        fitted = f"no estimator could be fitted on {where}: {exc}"
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


@dataclass(frozen=True)
class Part:
    """A segment of a window: its rows' count and the estimator of the model that scored them."""

    segment: str
    rows: int
    estimator: PerformanceEstimator | str
    own: bool  # the segment's own reference (another model), not the monitor's


# Estimates, each with what its record's note adds to its estimator's (None: nothing). On one machine
# nothing; merged from a cluster's pieces, how far a value may be from one machine's.
Estimated = list[tuple[EstimatedMetric, str | None]]


class Estimating(Protocol):
    """How a window's rows are estimated: on one machine from its rows, or on a cluster from the
    merged summaries of its pieces (pipeline/cluster_estimates.py)."""

    def whole(self, estimator: PerformanceEstimator) -> Estimated:
        """Every row of the window by `estimator`."""

    def segment(self, part: Part, estimator: PerformanceEstimator) -> Estimated:
        """A segment's rows by `estimator` (its own model's, or the monitor's)."""

    def mixed(self, parts: list[Part]) -> Estimated | None:
        """Every row of the window by the estimator of the model that scored it (binary CBPE);
        None when the estimators are of another kind."""


def segment_part(
    runtime: Runtime, name: str, segment: str, rows: int, estimator: PerformanceEstimator
) -> Part:
    """A segment of the window, estimated by its own reference's estimator when it has one."""
    segments = runtime.monitor(name).segments
    own = segments is not None and segments.reference_for(segment) is not None
    return Part(segment, rows, monitor_estimator(runtime, name, segment) if own else estimator, own)


def unavailable(monitor: MonitorConfig, segment: str, rows: int, why: str) -> list[EstimateRecord]:
    method = "dle" if monitor.task == "regression" else "cbpe"
    return [
        EstimateRecord(segment, EstimatedMetric.missing(m, rows, method, UNAVAILABLE), why)
        for m in (monitor.estimation.metrics if monitor.estimation else None) or ()
    ]


def _records(segment: str, found: Estimated, note: str | None) -> list[EstimateRecord]:
    return [EstimateRecord(segment, e, "; ".join(n for n in (note, more) if n) or None) for e, more in found]


def _whole_window(
    estimator: PerformanceEstimator, parts: list[Part], how: Estimating
) -> tuple[list[EstimateRecord], str | None]:
    """The whole window's estimates and their note: each row by the estimator of the model that
    scored it when segments with references of their own are in the window (binary CBPE), else every
    row by the monitor's."""
    own = [p for p in parts if p.own]
    mixed = None
    if own and not any(isinstance(p.estimator, str) for p in own):
        mixed = how.mixed([p for p in parts if not isinstance(p.estimator, str)])
    notes = [estimator.warning]
    if mixed is not None:
        notes += [f"{p.segment}: {p.estimator.warning}" for p in own if not isinstance(p.estimator, str)]
    elif own:
        names = ", ".join(p.segment for p in own)
        notes.append(f"the rows of {names} (another model) are estimated with the monitor's calibration")
    note = "; ".join(n for n in notes if n) or None
    return _records("", mixed if mixed is not None else how.whole(estimator), note), note


def window_estimates(
    monitor: MonitorConfig, estimator: PerformanceEstimator, parts: list[Part], how: Estimating
) -> WindowEstimates:
    """The window's estimates and each segment's, with the levels the rules judge them by."""
    records, note = _whole_window(estimator, parts, how)
    levels: dict[str, Levels] = {}
    for part in parts:
        if isinstance(part.estimator, str):
            records += unavailable(monitor, part.segment, part.rows, part.estimator)
            continue
        records += _records(part.segment, how.segment(part, part.estimator), part.estimator.warning)
        own_levels = _plain(part.estimator.parameters)
        levels[part.segment] = own_levels if part.own else _segment_levels(part.estimator, part.segment)
    return WindowEstimates(records, _plain(estimator.parameters), note, levels)


def _plainly(found: list[EstimatedMetric]) -> Estimated:
    return [(e, None) for e in found]


@dataclass(frozen=True)
class _Rows:
    """A window estimated from its rows, on one machine; each segment's rows by name."""

    current: pd.DataFrame
    segments: dict[str, pd.DataFrame]

    def whole(self, estimator: PerformanceEstimator) -> Estimated:
        return _plainly(estimator.estimate(self.current))

    def segment(self, part: Part, estimator: PerformanceEstimator) -> Estimated:
        return _plainly(estimator.estimate(self.segments[part.segment]))

    def mixed(self, parts: list[Part]) -> Estimated | None:
        fitted = [(p.estimator, self.segments[p.segment]) for p in parts if not isinstance(p.estimator, str)]
        found = estimate_mixed(fitted)
        return None if found is None else _plainly(found)


def _segment_rows(runtime: Runtime, name: str, current: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each segment's rows, largest first (the smallest pooled into "(other)" past max_segments)."""
    segments = runtime.monitor(name).segments
    if segments is None or not len(current):
        return {}
    names, _ = capped(segment_names(current, segments.by), segments.max_segments)
    return {str(s): current[names == s] for s in names.value_counts().index}


def estimate_window(runtime: Runtime, name: str, current: pd.DataFrame) -> WindowEstimates | None:
    """The window's estimates and each segment's (a segment with a reference of its own by an
    estimator fitted on it); None when the monitor does not estimate. A reference the estimator
    cannot be fitted on gives rows saying why, not a failed run."""
    monitor = runtime.monitor(name)
    if monitor.estimation is None:
        return None
    estimator = monitor_estimator(runtime, name)
    if isinstance(estimator, str):
        return WindowEstimates(unavailable(monitor, "", len(current), estimator), warning=estimator)
    rows = _segment_rows(runtime, name, current)
    parts = [segment_part(runtime, name, s, len(frame), estimator) for s, frame in rows.items()]
    return window_estimates(monitor, estimator, parts, _Rows(current, rows))
