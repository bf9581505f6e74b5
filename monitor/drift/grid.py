"""KS's exact merge: a current numerical column counted on the reference's distinct values.

Let r_0 < ... < r_{k-1} be the reference's distinct values. Between two of them the reference's
empirical CDF is constant, so on an interval [r_{j-1}, r_j) the difference F_ref - F_cur only falls
as current values go by: its largest value there is at r_{j-1} itself, a reference point, and its
smallest at the largest current value in the interval. So scipy's statistic, evaluated at every value
of both samples, is reached at a reference point or at the largest current value of an interval, and
for these points a piece of the window needs to keep only
- `below[i]`, `at[i]`: how many of its values are < r_i and == r_i (counts add up), and
- `largest[j]`: its largest value in interval j, of k + 1: (-inf, r_0), [r_0, r_1), ...,
  [r_{k-1}, +inf) (-inf when it has none; the largest of the pieces' largest is the window's).
Every other current value is strictly less extreme than the interval's largest (F_cur grows by at
least one count at each), and a current value equal to a reference point ties with that point, which
scipy's order (reference values first) picks; so the condensed current side (`steps`) has the same
largest difference, at the same place, from the same integer counts divided by the same sizes as
scipy: the statistic is bit for bit, and so is its p-value (ks.ks_p_value on the same sizes).

Wasserstein is not exact from this: inside an interval F_cur can cross F_ref anywhere. `tails[j]`,
the sum over interval j of each value's distance to the interval's far end (to r_j; for the last
interval, from r_{k-1}), gives the integral of F_cur over the interval, so where F_cur stays on one
side of F_ref the interval's share of W1 is exact (up to rounding), and where it crosses it lies
between two bounds (`wasserstein`). The outer intervals are exact: F_ref is 0 or 1 there.

Size: 32 bytes per distinct reference value. A reference with more than EXACT_LIMIT distinct values is
sketched instead (sketch.py): at the limit a piece's grid is 2 MiB a column, the size of 262,144 raw
values, while a partition of a large window (dask's default is about 100 MB) holds millions, and
references up to that many distinct values (integer features, references of up to 65k rows) keep
KS exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.drift.steps import FloatArray, IntArray, Steps

EXACT_LIMIT = 65_536


@dataclass(frozen=True, eq=False)
class Grid:
    below: IntArray  # [k] current values < r_i
    at: IntArray  # [k] current values == r_i
    largest: FloatArray  # [k + 1] largest current value in each interval, -inf if none
    tails: FloatArray  # [k + 1] sum of the distances of the interval's values to its far end

    def merge(self, other: Grid) -> Grid:
        if len(self.below) != len(other.below):
            raise ValueError("grids of different references cannot be merged")
        return Grid(
            self.below + other.below,
            self.at + other.at,
            np.maximum(self.largest, other.largest),
            self.tails + other.tails,
        )


def grid_of(values: FloatArray, points: FloatArray) -> Grid:
    """The grid of a piece's finite values (ascending) on the reference's distinct values (ascending)."""
    below = np.searchsorted(values, points, side="left").astype(np.int64)
    at = np.searchsorted(values, points, side="right").astype(np.int64) - below
    ends = np.append(below, len(values))  # interval j holds values[starts[j]:ends[j]]
    starts = np.concatenate([[0], below])
    filled = ends > starts
    largest = np.full(len(points) + 1, -np.inf)
    largest[filled] = values[ends[filled] - 1]
    interval = np.repeat(np.arange(len(points) + 1), ends - starts)
    inner = below[-1]  # values before the last interval
    distances = np.empty(len(values))
    distances[:inner] = points[interval[:inner]] - values[:inner]
    distances[inner:] = values[inner:] - points[-1]
    tails = np.asarray(np.bincount(interval, weights=distances, minlength=len(points) + 1), dtype=np.float64)
    return Grid(below, at, largest, tails)


def steps(grid: Grid, ref_points: FloatArray, ref_cumulative: IntArray, n_cur: int) -> Steps:
    """The ECDF steps at the reference's points and at each interval's largest current value."""
    filled = np.isfinite(grid.largest)  # the values kept are finite: -inf marks an empty interval
    intervals = np.flatnonzero(filled)
    cur_points = grid.largest[filled]
    # Current values <= an interval's largest: all below the interval's right end.
    cur_at_cur = np.append(grid.below, n_cur)[filled]
    # Reference values <= it: those <= the interval's left end (none for the first interval).
    ref_at_cur = np.concatenate([[0], ref_cumulative])[filled].astype(np.int64)
    return Steps(
        ref_points=ref_points,
        ref_at_ref=ref_cumulative,
        cur_at_ref=grid.below + grid.at,
        cur_points=cur_points,
        ref_at_cur=ref_at_cur,
        cur_at_cur=cur_at_cur,
        cur_below_ref=np.cumsum(filled)[:-1].astype(np.int64),
        ref_upto_cur=intervals.astype(np.int64),
    )


def wasserstein(
    grid: Grid, ref_points: FloatArray, ref_cumulative: IntArray, n_ref: int, n_cur: int
) -> tuple[float, float]:
    """(W1 estimate, bound on its error): exact (error 0 but for rounding) unless F_cur crosses F_ref
    inside an interval; there the interval's share lies in [lo, hi] and counts as their midpoint."""
    outer = float(grid.tails[0] + grid.tails[-1]) / n_cur  # F_ref is 0 before r_0 and 1 from r_{k-1}
    if len(ref_points) < 2:
        return outer, 0.0
    lengths = np.diff(ref_points)
    level = ref_cumulative[:-1] / n_ref  # F_ref on [r_{j-1}, r_j)
    start = (grid.below + grid.at)[:-1] / n_cur  # F_cur at r_{j-1}
    end = grid.below[1:] / n_cur  # F_cur just before r_j
    area = (grid.below[:-1] * lengths + grid.tails[1:-1]) / n_cur  # integral of F_cur over it
    low = np.abs(level * lengths - area)
    crossing = (start < level) & (level < end)
    # The largest integral of |F_ref - F_cur| for a non-decreasing F_cur from `start` to `end` with
    # this area: F_cur jumps once, from `start` to `end` (|.| is convex, so extremes maximise it).
    with np.errstate(divide="ignore", invalid="ignore"):
        at_start = np.where(crossing, (end * lengths - area) / (end - start), 0.0)
    high = (level - start) * at_start + (end - level) * (lengths - at_start)
    shares = np.where(crossing, (low + high) / 2, low)
    bound = float(np.sum(np.where(crossing, (high - low) / 2, 0.0)))
    return outer + float(np.sum(shares)), bound
