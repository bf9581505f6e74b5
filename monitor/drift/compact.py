"""A current numerical column summarised against the reference's profile: small, and merging exactly.

The local engine keeps a window's sorted values (summary.NumericSummary): exact, but as big as the
data. A window summarised in pieces on a cluster keeps instead, per piece and per numerical column,
what the tests need *relative to the reference* (`ReferenceGrid`, made once per profile):
- counts on the reference's PSI bins: on its quantile edges when it has more than 10 distinct values
  (the edges are the reference's alone), else per distinct current value (PSI's bins are then the
  union of both sides' values), up to EXACT_LIMIT distinct current values; so PSI, Jensen-Shannon
  and Hellinger are computed from the same counts as locally, bit for bit;
- for KS and Wasserstein, the exact merge of grid.py when the reference has at most EXACT_LIMIT
  distinct values, else a KLL sketch (sketch.py), with the error bound each result reports;
- rows, missing and non-numeric values, count, min and max (ColumnQuality is the local one), and the
  mean and sum of squared deviations (Chan's pairwise merge; within rounding of numpy's).
Counts add up, maxima take the maximum, sketches merge: pieces merge into the summary of the whole
window, whatever the split. A column the reference has no values of (or lacks) keeps counts only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift.base import Unjudgeable
from monitor.drift.binning import MAX_DISTINCT_FOR_VALUE_BINS, Bins, counts_between, quantile_bins, value_bins
from monitor.drift.grid import EXACT_LIMIT, Grid, grid_of
from monitor.drift.grid import steps as grid_steps
from monitor.drift.grid import wasserstein as grid_wasserstein
from monitor.drift.sketch import SKETCH_K, merge_sketches, rank_error, sketch_of, sketch_runs
from monitor.drift.steps import FloatArray, IntArray, Steps, ecdf_steps, wasserstein_from_steps
from monitor.drift.summary import NumericSummary, summarise
from monitor.drift.types import ColumnKind, Status

EXACT_KS = "exact_merge"
SKETCHED_KS = "kll_sketch"


@dataclass(frozen=True, eq=False)
class ReferenceGrid:
    """What summarising a piece of a numerical current column needs of its reference."""

    points: FloatArray | None  # distinct reference values (exact KS), None: sketched
    edges: FloatArray | None  # PSI's quantile edges, None: PSI bins by value
    sketch_k: int
    key: str  # the reference's fingerprint: summaries against different references do not mix

    @classmethod
    def of(
        cls, reference: NumericSummary, exact_limit: int = EXACT_LIMIT, sketch_k: int = SKETCH_K
    ) -> ReferenceGrid:
        distinct = reference.distinct
        points = reference.runs[0] if distinct <= exact_limit else None
        edges = reference.quantile_edges if distinct > MAX_DISTINCT_FOR_VALUE_BINS else None
        return cls(points, edges, sketch_k, reference.fingerprint)


@dataclass(frozen=True, eq=False)
class ValueCounts:
    """Distinct current values ascending and their counts (PSI's bins when they are by value)."""

    values: FloatArray
    counts: IntArray

    def merge(self, other: ValueCounts) -> ValueCounts | None:
        values = np.union1d(self.values, other.values)
        if len(values) > EXACT_LIMIT:
            return None
        counts = np.zeros(len(values), dtype=np.int64)
        counts[np.searchsorted(values, self.values)] += self.counts
        counts[np.searchsorted(values, other.values)] += other.counts
        return ValueCounts(values, counts)


@dataclass(frozen=True)
class Moments:
    count: int = 0
    mean: float = math.nan
    squares: float = math.nan  # sum of squared deviations from the mean

    def merge(self, other: Moments) -> Moments:
        if not other.count or not self.count:
            return self if self.count else other
        count = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * other.count / count
        squares = self.squares + other.squares + delta**2 * self.count * other.count / count
        return Moments(count, mean, squares)


@dataclass(frozen=True, eq=False)
class CompactNumericSummary:
    rows: int
    missing: int
    non_numeric: int
    moments: Moments
    minimum: float  # nan when there are no values
    maximum: float
    key: str | None = None  # the ReferenceGrid's; None: counts only (no reference values)
    quantile_counts: IntArray | None = None  # on the reference's quantile edges
    value_counts: ValueCounts | None = None  # by value; None too once beyond EXACT_LIMIT values
    grid: Grid | None = None  # exact KS
    sketch: bytes | None = None  # KLL sketch, when the reference has too many values for a grid
    kind: ColumnKind = field(default=ColumnKind.NUMERICAL, init=False)

    @property
    def count(self) -> int:
        return self.moments.count

    @property
    def constant(self) -> bool:
        return bool(self.count > 0 and self.minimum == self.maximum)

    @property
    def mean(self) -> float:
        return self.moments.mean

    @property
    def std(self) -> float:
        """Population standard deviation, as np.std (within rounding)."""
        return math.sqrt(self.moments.squares / self.count) if self.count else math.nan

    def merge(self, other: CompactNumericSummary) -> CompactNumericSummary:
        if self.key != other.key:
            raise ValueError("pieces of a window must be summarised against the same reference profile")
        merged = replace(
            self,
            rows=self.rows + other.rows,
            missing=self.missing + other.missing,
            non_numeric=self.non_numeric + other.non_numeric,
            moments=self.moments.merge(other.moments),
            minimum=float(np.fmin(self.minimum, other.minimum)),
            maximum=float(np.fmax(self.maximum, other.maximum)),
        )
        # A piece without values adds nothing to the counts, maxima or sketch: the other's stand.
        if not other.count:
            return merged
        if not self.count:
            return replace(merged, **_reference_parts(other))
        return replace(
            merged,
            quantile_counts=_add(self.quantile_counts, other.quantile_counts),
            value_counts=_merge_values(self.value_counts, other.value_counts),
            grid=self.grid.merge(other.grid) if self.grid is not None and other.grid is not None else None,
            sketch=_merge_sketches(self.sketch, other.sketch),
        )

    def all_missing(self, rows: int) -> CompactNumericSummary:
        """`rows` rows of this column, every one missing (a piece of the window without the column)."""
        return CompactNumericSummary(rows, rows, 0, Moments(), math.nan, math.nan, key=self.key)


def _reference_parts(summary: CompactNumericSummary) -> dict[str, Any]:
    return {
        "quantile_counts": summary.quantile_counts,
        "value_counts": summary.value_counts,
        "grid": summary.grid,
        "sketch": summary.sketch,
    }


def _add(first: IntArray | None, second: IntArray | None) -> IntArray | None:
    return first + second if first is not None and second is not None else None


def _merge_sketches(first: bytes | None, second: bytes | None) -> bytes | None:
    return merge_sketches(first, second) if first is not None and second is not None else None


def _merge_values(first: ValueCounts | None, second: ValueCounts | None) -> ValueCounts | None:
    return first.merge(second) if first is not None and second is not None else None


def _moments(values: FloatArray) -> Moments:
    if not len(values):
        return Moments()
    mean = float(np.mean(values))
    return Moments(len(values), mean, float(np.sum((values - mean) ** 2)))


def compact_of(summary: NumericSummary, grid: ReferenceGrid | None) -> CompactNumericSummary:
    """The compact form of a piece's exact summary, against the reference's grid (None: counts only)."""
    values = summary.values
    counts_only = CompactNumericSummary(
        rows=summary.rows,
        missing=summary.missing,
        non_numeric=summary.non_numeric,
        moments=_moments(values),
        minimum=float(values[0]) if len(values) else math.nan,
        maximum=float(values[-1]) if len(values) else math.nan,
    )
    if grid is None:
        return counts_only
    by_value = None
    if grid.edges is None:
        distinct, cumulative = summary.runs
        by_value = ValueCounts(distinct, np.diff(np.concatenate([[0], cumulative])).astype(np.int64))
        if len(distinct) > EXACT_LIMIT:
            by_value = None
    return replace(
        counts_only,
        key=grid.key,
        quantile_counts=None if grid.edges is None else counts_between(values, grid.edges),
        value_counts=by_value,
        grid=None if grid.points is None else grid_of(values, grid.points),
        sketch=sketch_of(values, grid.sketch_k) if grid.points is None else None,
    )


def compact_numeric(series: pd.Series, grid: ReferenceGrid | None) -> CompactNumericSummary:
    """A piece of a numerical current column, cleaned as the local engine cleans it (summary.py)."""
    exact = summarise(series, ColumnKind.NUMERICAL)
    assert isinstance(exact, NumericSummary)
    return compact_of(exact, grid)


@dataclass(frozen=True)
class Approximation:
    """How a compact summary's KS or Wasserstein was computed, and the bound on its error."""

    computed_from: str  # EXACT_KS or SKETCHED_KS
    rank_error: float  # bound on sup |F_cur as computed - F_cur|: 0 for the exact merge


def _unjudgeable(reason: str) -> Unjudgeable:
    return Unjudgeable(Status.NOT_APPLICABLE, reason)


def _checked(reference: NumericSummary, current: CompactNumericSummary) -> None:
    if current.key != reference.fingerprint:
        raise _unjudgeable("the current window was summarised against another reference profile")


def compact_steps(reference: NumericSummary, current: CompactNumericSummary) -> tuple[Steps, Approximation]:
    """Both CDFs' steps: exact from the grid, or with the sketch's rank error."""
    _checked(reference, current)
    ref_points, ref_cumulative = reference.runs
    if current.grid is not None:
        steps = grid_steps(current.grid, ref_points, ref_cumulative, current.count)
        return steps, Approximation(EXACT_KS, 0.0)
    if current.sketch is not None:
        items, weights = sketch_runs(current.sketch)
        steps = ecdf_steps(ref_points, ref_cumulative, items, weights)
        return steps, Approximation(SKETCHED_KS, rank_error(current.sketch))
    raise _unjudgeable("the current window's pieces were summarised with different settings")


def compact_bins(reference: NumericSummary, current: CompactNumericSummary) -> Bins:
    """PSI's bins from the current's counts on them: the local engine's, count for count."""
    _checked(reference, current)
    if current.quantile_counts is not None:
        return quantile_bins(reference, current.quantile_counts)
    if current.value_counts is not None:
        return value_bins(reference, current.value_counts.values, current.value_counts.counts)
    raise _unjudgeable(
        f"the reference has at most {MAX_DISTINCT_FOR_VALUE_BINS} distinct values, so PSI's bins are one "
        f"per distinct value of either side, and the current window has more than {EXACT_LIMIT}: "
        "too many to count in pieces"
    )


def compact_wasserstein(
    reference: NumericSummary, current: CompactNumericSummary, steps: Steps, approximation: Approximation
) -> tuple[float, float]:
    """(W1, bound on its error): from the grid (exact unless the CDFs cross between reference values),
    or from the sketch (its rank error times the current values' range)."""
    if current.grid is not None:
        ref_points, ref_cumulative = reference.runs
        return grid_wasserstein(current.grid, ref_points, ref_cumulative, reference.count, current.count)
    distance = wasserstein_from_steps(steps, reference.count, current.count)
    return distance, approximation.rank_error * (current.maximum - current.minimum)
