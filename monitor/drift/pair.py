"""One column's two sides, and what several tests share, computed once per pair and only if asked.

- `steps`: both empirical CDFs evaluated at the distinct values of both samples, as integer counts.
  KS takes the largest difference; Wasserstein integrates the absolute difference. Both samples
  are sorted (the reference once, in its profile), so this is one binary search per distinct
  reference value and linear-time counting, not a sort of the concatenation, and no Python loop.
- `bins`: PSI's bins (binning.py), shared by PSI, Jensen-Shannon and Hellinger.
- `categories`: the 2 x k table of counts over the union of categories, for chi-square.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import numpy as np

from monitor.drift.binning import Bins, CategoryCounts, category_bins, numeric_bins, union_counts
from monitor.drift.summary import CategorySummary, FloatArray, IntArray, NumericSummary, Summary
from monitor.drift.types import ColumnKind

T = TypeVar("T")


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


def _steps(ref: NumericSummary, cur: NumericSummary) -> Steps:
    ref_points, ref_cumulative = ref.runs
    cur_points, cur_cumulative = cur.runs
    # One binary search per reference point; the other direction follows by counting, because both
    # lists are sorted and distinct: ref_points[i] <= cur_points[j] exactly when j >= cur_below_ref[i].
    cur_upto_ref = np.searchsorted(cur_points, ref_points, side="right")
    last_below = cur_points[np.maximum(cur_upto_ref - 1, 0)] if len(cur_points) else ref_points
    shared = (cur_upto_ref > 0) & (last_below == ref_points)
    cur_below_ref = cur_upto_ref - shared
    ref_upto_cur = np.cumsum(np.bincount(cur_below_ref, minlength=len(cur_points) + 1))[: len(cur_points)]

    def counts(index: IntArray, side: NumericSummary, cumulative: IntArray) -> IntArray:
        if side.distinct == side.count:  # no ties: the k-th distinct value has exactly k values <= it
            return index
        at: IntArray = np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0)
        return at

    return Steps(
        ref_points=ref_points,
        ref_at_ref=ref_cumulative,
        cur_at_ref=counts(cur_upto_ref, cur, cur_cumulative),
        cur_points=cur_points,
        ref_at_cur=counts(ref_upto_cur, ref, ref_cumulative),
        cur_at_cur=cur_cumulative,
        cur_below_ref=cur_below_ref,
        ref_upto_cur=ref_upto_cur,
    )


class ColumnPair:
    def __init__(self, reference: Summary, current: Summary) -> None:
        if reference.kind is not current.kind:
            raise ValueError(f"cannot compare a {reference.kind} summary with a {current.kind} one")
        self.reference = reference
        self.current = current
        self.kind: ColumnKind = reference.kind
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """What `compute` gives, computed once per pair (shared by `auto` and the test it picks)."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    def numeric(self) -> tuple[NumericSummary, NumericSummary]:
        if not isinstance(self.reference, NumericSummary) or not isinstance(self.current, NumericSummary):
            raise TypeError("this test needs numerical values")
        return self.reference, self.current

    def category_summaries(self) -> tuple[CategorySummary, CategorySummary]:
        if not isinstance(self.reference, CategorySummary) or not isinstance(self.current, CategorySummary):
            raise TypeError("this test needs categories")
        return self.reference, self.current

    @cached_property
    def steps(self) -> Steps:
        return _steps(*self.numeric())

    @cached_property
    def bins(self) -> Bins:
        if self.kind is ColumnKind.NUMERICAL:
            return numeric_bins(*self.numeric())
        return category_bins(*self.category_summaries())

    @cached_property
    def categories(self) -> CategoryCounts:
        return union_counts(*self.category_summaries())
