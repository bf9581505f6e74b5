"""A current column whose kind the current window decides, counted in a form that merges.

When no kind is set and the reference has no values of a column (or lacks it), the column's kind is
inferred from the current window (kinds.py). A piece of the window can infer another kind than the
whole: a piece of only missing values has no values to judge from, and integers with few distinct
values in each piece can have many in the whole. So a piece is not summarised as a kind yet: it keeps
each distinct value with its count, in the column's dtype and in the order first seen, and one of each
distinct null (None, NaN, NaT, NA: they can change what an object column's values are taken for).
Equal values of different types (1, 1.0 and True in an object column) are kept apart, since their
types decide the kind too. Counts add up and distinct values merge, so merged pieces hold what the
whole window's column holds (`merge`), and `column` gives that column back, but for the order of its
rows, which neither the kind nor the summaries depend on: the kind is inferred once, from the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api import types as ptypes

IntArray = npt.NDArray[np.int64]


def _codes(values: pd.Series) -> IntArray:
    """The values numbered 0, 1, ... in the order first seen; equal values of different types differ."""
    try:
        codes, _ = pd.factorize(values)
    except TypeError:  # unhashable values (lists, dicts): told apart by their string form, as categories are
        codes, _ = pd.factorize(values.astype(str))
    if ptypes.is_object_dtype(values.dtype) and ptypes.infer_dtype(values, skipna=False) != "string":
        types, _ = pd.factorize(values.map(type))
        codes, _ = pd.factorize(codes * (types.max(initial=0) + 1) + types)
    numbered: IntArray = codes.astype(np.int64)
    return numbered


def _distinct(values: pd.Series, weights: IntArray) -> tuple[pd.Series, IntArray]:
    """Each distinct value once, in the order first seen, with the sum of its weights."""
    codes = _codes(values)
    seen_before = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
    first = np.flatnonzero(codes > seen_before)  # where each code appears first: codes count up
    counts: IntArray = np.bincount(codes, weights=weights, minlength=len(first)).astype(np.int64)
    return values.iloc[first].reset_index(drop=True), counts


def _distinct_nulls(values: pd.Series) -> pd.Series:
    return pd.Series(pd.unique(values), dtype=values.dtype)


@dataclass(frozen=True, eq=False)
class UndecidedSummary:
    # Distinct non-null values (+-inf among them), in the order first seen, in the column's dtype.
    values: pd.Series
    counts: IntArray  # counts[i] rows had values[i]
    nulls: pd.Series  # one of each distinct null seen, in the order first seen
    rows: int

    @classmethod
    def of(cls, series: pd.Series) -> UndecidedSummary:
        absent = series.isna()
        present = series[~absent].reset_index(drop=True)
        values, counts = _distinct(present, np.ones(len(present), dtype=np.int64))
        return cls(values, counts, _distinct_nulls(series[absent]), len(series))

    @property
    def null_rows(self) -> int:
        return self.rows - int(self.counts.sum())

    def merge(self, other: UndecidedSummary) -> UndecidedSummary:
        values, counts = _distinct(
            pd.concat([self.values, other.values], ignore_index=True),
            np.concatenate([self.counts, other.counts]),
        )
        nulls = _distinct_nulls(pd.concat([self.nulls, other.nulls], ignore_index=True))
        return UndecidedSummary(values, counts, nulls, self.rows + other.rows)

    def all_missing(self, rows: int) -> UndecidedSummary:
        """`rows` rows of this column, every one missing (a piece of the window without the column)."""
        return UndecidedSummary(self.values.iloc[:0], np.zeros(0, dtype=np.int64), self.nulls.iloc[:0], rows)

    def column(self) -> pd.Series:
        """The window's column again, but for the order of its rows."""
        present = self.values.take(np.repeat(np.arange(len(self.values)), self.counts))
        more = self.null_rows - len(self.nulls)  # null rows beyond one of each distinct null
        if len(self.nulls):
            filler = self.nulls.take(np.zeros(more, dtype=np.int64))
        else:  # the dtype's own missing value (a piece without the column, as pd.concat would fill it)
            filler = self.values.iloc[:0].reindex(range(more))
        parts = [part for part in (present, self.nulls, filler) if len(part)]
        return pd.concat(parts, ignore_index=True) if parts else self.values.iloc[:0]
