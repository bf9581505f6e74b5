"""A window's segments (`segments.by`) computed on a Dask cluster, as `compute_segments` computes them
locally: the same segment names, the same pooling of the smallest into "(other)", each segment judged
against its own reference or the monitor's.

Two passes over the window's pieces, each on the workers. The first counts each segment's rows (only
the `by` columns read), so the service knows which segments are kept before anything is summarised:
summarising every segment of a column with thousands of values would hold thousands of summaries per
worker. The second summarises each piece whole and per kept segment (the rest as one "(other)"), and
the summaries merge per segment on the cluster. Only counts and merged summaries come back."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from monitor.compute.window import WindowPiece, WindowPlan, merge_window_pieces, summarise_window_piece
from monitor.config import MonitorConfig
from monitor.drift import ReferenceProfile, compare_summaries
from monitor.metrics.serving_partial import HealthColumns, health_of_facts
from monitor.pipeline.compute import quality_options
from monitor.pipeline.reference import drift_options, reference_profile
from monitor.pipeline.runtime import Runtime
from monitor.pipeline.segments import SegmentComputation, pooled, segment_names
from monitor.quality.checks import assess_facts
from monitor.sources import SourceError

logger = logging.getLogger(__name__)


def count_segments(frame: pd.DataFrame, by: tuple[str, ...]) -> dict[str, int]:
    """Rows per segment of one piece (first pass, on a worker)."""
    return {str(name): int(rows) for name, rows in segment_names(frame, list(by)).value_counts().items()}


def add_counts(*counts: Mapping[str, int]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in counts:
        for name, rows in one.items():
            total[name] = total.get(name, 0) + rows
    return total


def kept_segments(counts: Mapping[str, int], max_segments: int) -> tuple[frozenset[str] | None, int]:
    """The segments kept (None: all of them) and how many are pooled, as `capped` picks them: the
    `max_segments - 1` largest (ties by name) when there are more than `max_segments`."""
    order = sorted(counts, key=lambda name: (-counts[name], name))
    if len(order) <= max_segments:
        return None, 0
    keep = frozenset(order[: max_segments - 1])
    return keep, len(order) - len(keep)


@dataclass(frozen=True)
class SegmentPlan:
    by: tuple[str, ...]
    # The segments kept: rows of any other (pooled, or new since the first pass) go to "(other)".
    keep: frozenset[str]
    whole: WindowPlan
    own: Mapping[str, WindowPlan]  # segments judged against their own reference


@dataclass(frozen=True)
class SegmentedPiece:
    whole: WindowPiece
    segments: Mapping[str, WindowPiece]

    def merge(self, other: SegmentedPiece) -> SegmentedPiece:
        segments = dict(self.segments)
        for name, piece in other.segments.items():
            segments[name] = merge_window_pieces(segments[name], piece) if name in segments else piece
        return SegmentedPiece(merge_window_pieces(self.whole, other.whole), segments)


def summarise_segmented(frame: pd.DataFrame, plan: SegmentPlan) -> SegmentedPiece:
    """One piece summarised whole and per segment (second pass, on a worker)."""
    names = pooled(segment_names(frame, list(plan.by)), plan.keep)
    segments = {
        str(name): summarise_window_piece(frame[names == name], plan.own.get(str(name), plan.whole))
        for name in names.unique()
    }
    return SegmentedPiece(summarise_window_piece(frame, plan.whole), segments)


def merge_segmented(*pieces: SegmentedPiece) -> SegmentedPiece:
    merged = pieces[0]
    for piece in pieces[1:]:
        merged = merged.merge(piece)
    return merged


@dataclass(frozen=True)
class OwnReference:
    profile: ReferenceProfile | None  # None: it could not be read
    note: str | None


def own_references(
    runtime: Runtime, name: str, segments: list[str], *, now: datetime
) -> dict[str, OwnReference]:
    """The profiles of the segments with a reference of their own; one that cannot be read leaves
    its segment judged on everything but drift, with a note, as locally."""
    monitor: MonitorConfig = runtime.monitor(name)
    assert monitor.segments is not None
    found: dict[str, OwnReference] = {}
    for segment in segments:
        if monitor.segments.reference_for(segment) is None:
            continue
        try:
            found[segment] = OwnReference(reference_profile(runtime, name, now=now, segment=segment), None)
        except (SourceError, ValueError, KeyError, OSError) as exc:
            logger.warning("%s: the reference of segment %s could not be read: %s", name, segment, exc)
            found[segment] = OwnReference(None, f"its own reference could not be read: {exc}")
    return found


@dataclass(frozen=True)
class SegmentJudging:
    """What every segment of a window is judged with (the shared profile, the judged columns...)."""

    monitor: MonitorConfig
    profile: ReferenceProfile
    features: list[str]
    outputs: list[str]
    present: list[str]
    ignore: set[str]
    health: HealthColumns
    hours: float


def judge_segment(
    segment: str, piece: WindowPiece, own: OwnReference | None, judging: SegmentJudging, note: str | None
) -> SegmentComputation:
    """One segment's results from its merged summary, as `_one_segment` computes them from rows."""
    monitor = judging.monitor
    profile = own.profile if own is not None and own.profile is not None else judging.profile
    notes = [n for n in (note, own.note if own is not None else None) if n]
    drift = output_drift = None
    if own is None or own.profile is not None:
        drift = compare_summaries(profile, piece.features, drift_options(monitor.drift, judging.features))
        outputs = [c for c in judging.outputs if c in profile.columns]
        if outputs and piece.outputs is not None:
            output_drift = compare_summaries(profile, piece.outputs, drift_options(monitor.drift, outputs))
    quality = assess_facts(
        piece.rows,
        piece.quality,
        profile.quality,
        columns=judging.features + judging.outputs,
        present=judging.present,
        ignore=judging.ignore,
        kinds={c.column: str(c.kind) for c in drift.columns} if drift else None,
        options=quality_options(monitor),
    )
    health = health_of_facts(piece.health, judging.health, hours=judging.hours)
    return SegmentComputation(
        segment,
        piece.rows,
        health,
        drift,
        output_drift,
        [],
        0,
        quality,
        "own" if own is not None else "shared",
        "; ".join(notes) or None,
    )
