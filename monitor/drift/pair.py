"""One column's two sides, and what several tests share, computed once per pair and only if asked.

- `steps`: both empirical CDFs evaluated at the distinct values of both samples, as integer counts.
  KS takes the largest difference; Wasserstein integrates the absolute difference. Both samples
  are sorted (the reference once, in its profile), so this is two binary searches of sorted keys,
  not a sort of the concatenation, and no Python loop over values.
- `bins`: PSI's bins (binning.py), shared by PSI, Jensen-Shannon and Hellinger.
- `categories`: the 2 x k table of counts over the union of categories, for chi-square.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from monitor.drift.binning import Bins, CategoryCounts, category_bins, numeric_bins, union_counts
from monitor.drift.summary import CategorySummary, FloatArray, IntArray, NumericSummary, Summary
from monitor.drift.types import ColumnKind


@dataclass(frozen=True)
class Steps:
    """ECDF counts at each side's distinct values: `ref_at_ref[i]` reference values <= ref_points[i]."""

    ref_points: FloatArray
    ref_at_ref: IntArray
    cur_at_ref: IntArray
    cur_points: FloatArray
    ref_at_cur: IntArray
    cur_at_cur: IntArray


def _counts_at(points: FloatArray, distinct: FloatArray, cumulative: IntArray, side: str) -> IntArray:
    """How many values of a sample (given by its distinct values and their cumulative counts) are
    <= each point (side "right") or < each point (side "left")."""
    index = np.searchsorted(distinct, points, side=side)  # type: ignore[call-overload]
    counts: IntArray = np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0)
    return counts


class ColumnPair:
    def __init__(self, reference: Summary, current: Summary) -> None:
        if reference.kind is not current.kind:
            raise ValueError(f"cannot compare a {reference.kind} summary with a {current.kind} one")
        self.reference = reference
        self.current = current
        self.kind: ColumnKind = reference.kind

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
        ref, cur = self.numeric()
        ref_points, ref_cumulative = ref.runs
        cur_points, cur_cumulative = cur.runs
        return Steps(
            ref_points=ref_points,
            ref_at_ref=ref_cumulative,
            cur_at_ref=_counts_at(ref_points, cur_points, cur_cumulative, "right"),
            cur_points=cur_points,
            ref_at_cur=_counts_at(cur_points, ref_points, ref_cumulative, "right"),
            cur_at_cur=cur_cumulative,
        )

    @cached_property
    def bins(self) -> Bins:
        if self.kind is ColumnKind.NUMERICAL:
            return numeric_bins(*self.numeric())
        return category_bins(*self.category_summaries())

    @cached_property
    def categories(self) -> CategoryCounts:
        return union_counts(*self.category_summaries())
