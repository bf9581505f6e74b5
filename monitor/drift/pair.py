"""One column's two sides, and what several tests share, computed once per pair and only if asked.

- `steps`: both empirical CDFs evaluated at the distinct values of both samples, as integer counts
  (steps.py). KS takes the largest difference; Wasserstein integrates the absolute difference.
- `bins`: PSI's bins (binning.py), shared by PSI, Jensen-Shannon and Hellinger.

The current side of a numerical column may be a compact summary merged from pieces (compact.py):
then the steps come from its exact merge or its sketch (`approximation` says which), the bins from its
counts, and a test that needs the values themselves (`numeric()`) is not applicable.
- `categories`: the 2 x k table of counts over the union of categories, for chi-square.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from monitor.drift.base import Unjudgeable
from monitor.drift.binning import Bins, CategoryCounts, category_bins, numeric_bins, union_counts
from monitor.drift.compact import Approximation, CompactNumericSummary, compact_bins, compact_steps
from monitor.drift.steps import Steps, ecdf_steps
from monitor.drift.summary import CategorySummary, NumericSummary, Summary
from monitor.drift.types import ColumnKind, Status

__all__ = ["ColumnPair", "CurrentSide", "Steps"]

T = TypeVar("T")
COMPACT_REASON = (
    "this test needs the current window's values, and the window was summarised in pieces "
    "(compact summaries, as on a cluster): it keeps counts and a sketch, not the values"
)
# The current side of a pair: the local engine's summaries, or a numerical column's compact summary
# merged from pieces of the window (compact.py).
CurrentSide = Summary | CompactNumericSummary


class ColumnPair:
    def __init__(self, reference: Summary, current: CurrentSide) -> None:
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
        """Both sides' values; only the local engine's summaries have the current's."""
        if isinstance(self.current, CompactNumericSummary):
            raise Unjudgeable(Status.NOT_APPLICABLE, COMPACT_REASON)
        if not isinstance(self.reference, NumericSummary) or not isinstance(self.current, NumericSummary):
            raise TypeError("this test needs numerical values")
        return self.reference, self.current

    def numeric_sides(self) -> tuple[NumericSummary, NumericSummary | CompactNumericSummary]:
        """The reference's values and the current's values or compact summary (KS, Wasserstein)."""
        if not isinstance(self.reference, NumericSummary) or not isinstance(
            self.current, NumericSummary | CompactNumericSummary
        ):
            raise TypeError("this test needs numerical values")
        return self.reference, self.current

    @cached_property
    def _cdfs(self) -> tuple[Steps, Approximation | None]:
        ref, cur = self.numeric_sides()
        if isinstance(cur, CompactNumericSummary):
            return compact_steps(ref, cur)
        return ecdf_steps(*ref.runs, *cur.runs), None

    @property
    def steps(self) -> Steps:
        """Both empirical CDFs at each side's distinct values (steps.py)."""
        return self._cdfs[0]

    @property
    def approximation(self) -> Approximation | None:
        """How the steps of a compact current side were computed; None: from the values, exactly."""
        if not isinstance(self.current, CompactNumericSummary):
            return None  # known without computing the steps, which KS may not need (narrowing.py)
        return self._cdfs[1]

    def category_summaries(self) -> tuple[CategorySummary, CategorySummary]:
        if not isinstance(self.reference, CategorySummary) or not isinstance(self.current, CategorySummary):
            raise TypeError("this test needs categories")
        return self.reference, self.current

    @cached_property
    def bins(self) -> Bins:
        if self.kind is ColumnKind.NUMERICAL:
            ref, cur = self.numeric_sides()
            if isinstance(cur, CompactNumericSummary):
                return compact_bins(ref, cur)
            return numeric_bins(ref, cur)
        return category_bins(*self.category_summaries())

    def bins_details(self) -> dict[str, Any]:
        """The bins' description, for charts beside another test's result; none if there are no bins."""
        try:
            return dict(self.bins.details)
        except Unjudgeable:
            return {}

    @cached_property
    def categories(self) -> CategoryCounts:
        return union_counts(*self.category_summaries())
