"""Both empirical CDFs of a numerical column as integer counts at each side's distinct values.

KS takes their largest difference (ks.py); Wasserstein integrates the absolute difference
(`wasserstein_from_steps`). A side is given as its distinct values ascending and how many values are
<= each (a NumericSummary's `runs`), so the same code serves the exact values of the local engine, the
condensed current side of an exact merge (grid.py) and the weighted items of a KLL sketch (sketch.py).
Both lists are sorted, so this is one binary search per distinct reference value and linear-time
counting, not a sort of the concatenation, and no Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Steps:
    """ECDF counts at each side's distinct values: `ref_at_ref[i]` reference values <= ref_points[i],
    `cur_at_ref[i]` current values <= ref_points[i], and so on; plus where the two lists of distinct
    values interleave: `cur_below_ref[i]` current points < ref_points[i], `ref_upto_cur[j]` reference
    points <= cur_points[j]."""

    ref_points: FloatArray
    ref_at_ref: IntArray
    cur_at_ref: IntArray
    cur_points: FloatArray
    ref_at_cur: IntArray
    cur_at_cur: IntArray
    cur_below_ref: IntArray
    ref_upto_cur: IntArray


def _counts_at(index: IntArray, cumulative: IntArray) -> IntArray:
    """How many values of a side are <= the point with `index` of its distinct values <= it."""
    if len(cumulative) == 0 or cumulative[-1] == len(cumulative):
        return index  # no ties: the k-th distinct value has exactly k values <= it
    at: IntArray = np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0)
    return at


def ecdf_steps(
    ref_points: FloatArray, ref_cumulative: IntArray, cur_points: FloatArray, cur_cumulative: IntArray
) -> Steps:
    """Steps of two sides given as (distinct values ascending, counts of values <= each)."""
    # One binary search per reference point; the other direction follows by counting, because both
    # lists are sorted and distinct: ref_points[i] <= cur_points[j] exactly when j >= cur_below_ref[i].
    cur_upto_ref = np.searchsorted(cur_points, ref_points, side="right")
    last_below = cur_points[np.maximum(cur_upto_ref - 1, 0)] if len(cur_points) else ref_points
    shared = (cur_upto_ref > 0) & (last_below == ref_points)
    cur_below_ref = cur_upto_ref - shared
    ref_upto_cur = np.cumsum(np.bincount(cur_below_ref, minlength=len(cur_points) + 1))[: len(cur_points)]
    return Steps(
        ref_points=ref_points,
        ref_at_ref=ref_cumulative,
        cur_at_ref=_counts_at(cur_upto_ref, cur_cumulative),
        cur_points=cur_points,
        ref_at_cur=_counts_at(ref_upto_cur, ref_cumulative),
        cur_at_cur=cur_cumulative,
        cur_below_ref=cur_below_ref,
        ref_upto_cur=ref_upto_cur,
    )


def wasserstein_from_steps(steps: Steps, n_ref: int, n_cur: int) -> float:
    """W1 = integral of |F_ref - F_cur|: the CDFs only change at the merged distinct values, so it is
    a sum of |F_ref - F_cur| times the gap to the next value, as scipy.stats.wasserstein_distance."""
    n_ref_points, n_cur_points = len(steps.ref_points), len(steps.cur_points)
    # Positions in the merged list of distinct values; a value on both sides appears twice, reference
    # first, with a gap of 0 between the two, so it adds nothing.
    ref_positions = np.arange(n_ref_points) + steps.cur_below_ref
    cur_positions = np.arange(n_cur_points) + steps.ref_upto_cur
    size = n_ref_points + n_cur_points
    points = np.empty(size)
    ref_counts = np.empty(size, dtype=np.int64)
    cur_counts = np.empty(size, dtype=np.int64)
    points[ref_positions], points[cur_positions] = steps.ref_points, steps.cur_points
    ref_counts[ref_positions], ref_counts[cur_positions] = steps.ref_at_ref, steps.ref_at_cur
    cur_counts[ref_positions], cur_counts[cur_positions] = steps.cur_at_ref, steps.cur_at_cur
    gaps = np.diff(points)
    cdf_gap = np.abs(ref_counts[:-1] / n_ref - cur_counts[:-1] / n_cur)
    return float(np.sum(np.multiply(cdf_gap, gaps)))
