"""Performance estimated on a Dask cluster (`estimation:` with `compute.backend: dask`), as
pipeline/estimates.py estimates it from a window's rows.

The service fits the monitor's estimator (and each kept segment's own-reference one) as locally and
ships it to the workers in the plan, beside the pass's drift, quality and health plan: one read of
the window. Each piece gives the estimator's partial summary of its rows (monitor.metrics.
partial_cbpe, partial_dle), whole and, in the segmented pass, per segment (named and pooled as the
segmented pass names them, a segment with a reference of its own by its own estimator); the summaries
merge on the cluster and the service turns them into the records, notes and levels a local run
stores (estimates.window_estimates). Binary CBPE's whole window with own-reference segments (each row
calibrated by the model that scored it) is the merge of the segments' summaries: sums add whichever
calibration made them.

What is not exactly one machine's, said in the record's note: ROC AUC ranks rows within bins of the
raw scores (a bound on the difference is given, and its sampling error is approximate), and
multiclass precision, recall, F1 and ROC AUC have no sampling error (one machine draws labels for a
sample of rows, which does not merge).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from monitor.compute import ComputeError
from monitor.config import OTHER_SEGMENT, MonitorConfig, feature_columns
from monitor.metrics.estimator import EstimatePartial, PerformanceEstimator, merge
from monitor.metrics.partial_cbpe import BINNED_ERROR, NO_ERROR, MergedEstimate
from monitor.metrics.score_histogram import ScoreGrid
from monitor.pipeline.cluster_segments import SegmentPlan
from monitor.pipeline.estimates import (
    Estimated,
    Part,
    WindowEstimates,
    monitor_estimator,
    segment_part,
    unavailable,
    window_estimates,
)
from monitor.pipeline.reference import output_columns
from monitor.pipeline.runtime import Runtime
from monitor.pipeline.segments import pooled, segment_names


def estimation_columns(monitor: MonitorConfig, names: list[str]) -> list[str]:
    """The columns of the data the estimators read: the model's outputs, and DLE's features."""
    if monitor.estimation is None:
        return []
    wanted = output_columns(monitor)
    if monitor.task == "regression":
        wanted += feature_columns(monitor, names)
    return [c for c in dict.fromkeys(wanted) if c in names]


@dataclass(frozen=True)
class EstimationPlan:
    """What every worker needs to estimate its piece: the fitted estimators, and the segments."""

    estimator: PerformanceEstimator  # the monitor's
    by: tuple[str, ...] = ()  # none: the whole window only
    keep: frozenset[str] = frozenset()  # rows of other segments are "(other)"'s
    own: Mapping[str, PerformanceEstimator] = field(default_factory=dict)  # fitted on their own reference
    grid: ScoreGrid = field(default_factory=ScoreGrid)  # ROC AUC's bins of the raw scores


@dataclass(frozen=True)
class EstimatedPiece:
    whole: EstimatePartial  # every row by the monitor's estimator
    segments: Mapping[str, EstimatePartial] = field(default_factory=dict)

    def merge(self, other: EstimatedPiece) -> EstimatedPiece:
        segments = dict(self.segments)
        for name, partial in other.segments.items():
            segments[name] = merge(segments[name], partial) if name in segments else partial
        return EstimatedPiece(merge(self.whole, other.whole), segments)


def estimate_piece(frame: pd.DataFrame, plan: EstimationPlan) -> EstimatedPiece:
    """One piece's summaries, whole and per segment (on a worker). With segments, the whole piece's
    is the merge of its segments' by the monitor's estimator: each row is estimated once by it (and
    once more by its own model's, in a segment with a reference of its own)."""
    if not plan.by:
        return EstimatedPiece(plan.estimator.partial(frame, plan.grid))
    names = pooled(segment_names(frame, list(plan.by)), plan.keep)
    whole, segments = plan.estimator.empty_partial(), {}
    for name in names.unique():
        rows = frame[names == name]
        by_monitor = plan.estimator.partial(rows, plan.grid)
        whole = merge(whole, by_monitor)
        own = plan.own.get(str(name))
        segments[str(name)] = by_monitor if own is None else own.partial(rows, plan.grid)
    return EstimatedPiece(whole, segments)


def estimation_plan(
    runtime: Runtime, name: str, by: tuple[str, ...] = (), keep: frozenset[str] = frozenset()
) -> EstimationPlan | None:
    """The plan of a monitor that estimates (estimators fitted here, or taken from the runtime's
    cache), per segment of `by` when given (rows of segments not kept are "(other)"'s); None without
    `estimation:` or when the monitor's estimator could not be fitted (its records say why, as
    locally)."""
    if runtime.monitor(name).estimation is None:
        return None
    estimator = monitor_estimator(runtime, name)
    if isinstance(estimator, str):
        return None
    own = {}
    for segment in sorted({*keep, OTHER_SEGMENT}) if by else []:
        part = segment_part(runtime, name, segment, 0, estimator)
        if part.own and not isinstance(part.estimator, str):
            own[segment] = part.estimator
    return EstimationPlan(estimator, by, keep, own)


@dataclass(frozen=True)
class WithEstimates:
    """A pass's own plan and summariser, and the estimation plan: both summaries in one read."""

    summarise: Callable[[pd.DataFrame, Any], Any]
    shared: Any
    plan: EstimationPlan


def summarise_with_estimates(frame: pd.DataFrame, joint: WithEstimates) -> tuple[Any, EstimatedPiece]:
    return joint.summarise(frame, joint.shared), estimate_piece(frame, joint.plan)


def merge_with_estimates(
    merge_rest: Callable[..., Any], *pieces: tuple[Any, EstimatedPiece]
) -> tuple[Any, EstimatedPiece]:
    return merge_rest(*(p[0] for p in pieces)), functools.reduce(EstimatedPiece.merge, (p[1] for p in pieces))


def map_with_estimates(
    map_pieces: Callable[..., Any],
    runtime: Runtime,
    name: str,
    pieces: Any,
    summarise: Callable[[pd.DataFrame, Any], Any],
    shared: Any,
    merge_rest: Callable[..., Any],
    **options: Any,
) -> tuple[Any, EstimatedPiece | None]:
    """`map_pieces(pieces, summarise, shared, merge_rest, **options)`, a pass over the window, and in
    the same pass its pieces' estimates when the monitor estimates (per segment when `shared` is the
    segmented pass's plan): (the pass's merged summary, the merged estimates or None)."""
    segments = (shared.by, shared.keep) if isinstance(shared, SegmentPlan) else ()
    plan = estimation_plan(runtime, name, *segments)
    if plan is None:
        return map_pieces(pieces, summarise, shared, merge_rest, **options), None
    joint = WithEstimates(summarise, shared, plan)
    both = functools.partial(merge_with_estimates, merge_rest)
    merged = map_pieces(pieces, summarise_with_estimates, joint, both, **options)
    if not (isinstance(merged, tuple) and len(merged) == 2 and isinstance(merged[1], EstimatedPiece)):
        raise ComputeError(f"the Dask cluster returned {type(merged).__name__}, not a window's estimates")
    return merged[0], merged[1]


def _how_merged(found: MergedEstimate) -> str | None:
    """What a record's note says of a value merged from pieces that is not one machine's."""
    notes = []
    if not found.exact and found.bound is not None:
        notes.append(
            f"{found.value.metric} from the cluster's binned scores: within {found.bound:.2g} of the "
            "estimate on one machine"
        )
    if found.sampling_error in (BINNED_ERROR, NO_ERROR):
        notes.append(found.sampling_error)
    return "; ".join(notes) or None


def _described(found: list[MergedEstimate]) -> Estimated:
    return [(f.value, _how_merged(f)) for f in found]


@dataclass(frozen=True)
class _Merged:
    """A window estimated from the merged summaries of its pieces."""

    piece: EstimatedPiece

    def whole(self, estimator: PerformanceEstimator) -> Estimated:
        return _described(estimator.from_partial(self.piece.whole))

    def segment(self, part: Part, estimator: PerformanceEstimator) -> Estimated:
        return _described(estimator.from_partial(self.piece.segments[part.segment]))

    def mixed(self, parts: list[Part]) -> Estimated | None:
        fitted = [p.estimator for p in parts if not isinstance(p.estimator, str)]
        binary = [e for e in fitted if e.calibration is not None and e.inputs.task == "binary_classification"]
        if not fitted or len(binary) < len(fitted):
            return None
        summaries = (self.piece.segments[p.segment] for p in parts if not isinstance(p.estimator, str))
        return _described(fitted[0].from_partial(functools.reduce(merge, summaries)))


def cluster_estimates(
    runtime: Runtime, name: str, rows: int, estimated: EstimatedPiece | None
) -> WindowEstimates | None:
    """What estimate_window gives for the window, from the estimates merged on the cluster."""
    monitor = runtime.monitor(name)
    if monitor.estimation is None:
        return None
    estimator = monitor_estimator(runtime, name)
    if isinstance(estimator, str):
        return WindowEstimates(unavailable(monitor, "", rows, estimator), warning=estimator)
    if estimated is None:
        raise ComputeError("the Dask cluster returned no estimates for a monitor that estimates")
    order = sorted(estimated.segments.items(), key=lambda item: (-item[1].seen, item[0]))
    parts = [segment_part(runtime, name, segment, partial.seen, estimator) for segment, partial in order]
    return window_estimates(monitor, estimator, parts, _Merged(estimated))
