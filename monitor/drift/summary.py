"""What a test needs from one side of one column, in a form that merges: counts add up, sorted values merge.

- NumericSummary: the finite values, sorted (KS and Wasserstein need every value to stay exact; a
  sorted array is the smallest exact mergeable form: two merge in linear time), plus counts.
- CategorySummary: the count of each category label.
- CountSummary: only how many values there were, for skipped columns and columns the reference lacks.

Summaries of pieces of a window merge into the summary of the whole window (`merge`), value for value:
the same sorted array, the same counts. A summary knows nothing of the other side; see pair.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api import types as ptypes

from monitor.drift.cleaning import category_labels, clean, missing_mask
from monitor.drift.kinds import as_strings, normalise_dtype, string_categories
from monitor.drift.types import ColumnKind

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# The spec's PSI quantiles, spelled out rather than np.linspace so the floats are exactly its literals.
QUANTILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def sorted_quantiles(ordered: FloatArray, quantiles: tuple[float, ...]) -> FloatArray:
    """`np.quantile(ordered, quantiles)` (its default, linear method) of values already sorted, with
    numpy's own arithmetic step for step, so the same floats; without np.quantile's copy and partial
    sort of the values, which are sorted already (a copy of 8 MB per column of a million)."""
    if len(ordered) < 2:
        fallback: FloatArray = np.quantile(ordered, quantiles)
        return fallback
    n = len(ordered)
    virtual = (n - 1) * np.asarray(quantiles, dtype=np.float64)
    previous = np.floor(virtual)
    following = previous + 1
    beyond = virtual >= n - 1  # at or past the last value: both neighbours are the last value
    previous[beyond], following[beyond] = -1, -1
    below, above = previous.astype(np.intp), following.astype(np.intp)
    gamma = virtual - below
    low, high = ordered[below], ordered[above]
    difference = high - low
    result: FloatArray = low + difference * gamma
    # numpy interpolates from the upper neighbour past halfway (its _lerp), which rounds differently.
    np.subtract(high, difference * (1 - gamma), out=result, where=gamma >= 0.5)
    return result


@dataclass(frozen=True, eq=False)
class NumericSummary:
    values: FloatArray  # finite, ascending
    rows: int
    missing: int  # NaN, None, +-inf and non-numeric values
    non_numeric: int = 0
    kind: ColumnKind = field(default=ColumnKind.NUMERICAL, init=False)

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def constant(self) -> bool:
        return bool(self.count > 0 and self.values[0] == self.values[-1])

    @cached_property
    def _run_ends(self) -> IntArray | None:
        """Index of the last value of each run of equal values; None when there are no ties (then
        every value is its own run, and nothing needs to be kept: a profile stays small)."""
        values = self.values
        differs = values[1:] != values[:-1]
        if np.count_nonzero(differs) == max(len(values) - 1, 0):
            return None  # counted, not listed: no array of a million indices only to learn there are no ties
        ends: IntArray = np.append(np.flatnonzero(differs), len(values) - 1)
        return ends

    @property
    def runs(self) -> tuple[FloatArray, IntArray]:
        """Distinct values ascending, and how many values are <= each (the ECDF's steps, as counts)."""
        ends = self._run_ends
        if ends is None:
            return self.values, np.arange(1, len(self.values) + 1, dtype=np.int64)
        return self.values[ends], ends + 1

    @property
    def distinct(self) -> int:
        ends = self._run_ends
        return len(self.values) if ends is None else len(ends)

    @cached_property
    def quantile_edges(self) -> FloatArray:
        """PSI's inner bin edges when this is the reference: `np.unique(np.quantile(ref, QUANTILES))`."""
        edges: FloatArray = np.unique(sorted_quantiles(self.values, QUANTILES))
        return edges

    @cached_property
    def fingerprint(self) -> str:
        """A digest of the values and counts: what tells one reference's summaries from another's."""
        digest = hashlib.blake2b(np.ascontiguousarray(self.values).tobytes(), digest_size=16)
        digest.update(f"{self.rows}/{self.missing}/{self.non_numeric}".encode())
        return digest.hexdigest()

    @cached_property
    def std(self) -> float:
        return float(np.std(self.values)) if self.count else float("nan")

    def merge(self, other: Summary) -> Summary:
        if not isinstance(other, NumericSummary):
            return _counts_only(self, other)
        values = np.concatenate([self.values, other.values])
        values.sort(kind="stable")  # two ascending runs: timsort merges them in linear time
        return NumericSummary(
            values, self.rows + other.rows, self.missing + other.missing, self.non_numeric + other.non_numeric
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, NumericSummary)
            and (self.rows, self.missing, self.non_numeric) == (other.rows, other.missing, other.non_numeric)
            and np.array_equal(self.values, other.values)
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class CategorySummary:
    labels: tuple[str, ...]  # ascending, distinct
    counts: IntArray  # counts[i] values had label labels[i]
    rows: int
    missing: int
    kind: ColumnKind = field(default=ColumnKind.CATEGORICAL, init=False)

    @cached_property
    def count(self) -> int:
        return int(self.counts.sum())

    @property
    def constant(self) -> bool:
        return len(self.labels) == 1

    def as_dict(self) -> dict[str, int]:
        return dict(zip(self.labels, (int(n) for n in self.counts), strict=True))

    def merge(self, other: Summary) -> Summary:
        if not isinstance(other, CategorySummary):
            return _counts_only(self, other)
        merged = self.as_dict()
        for label, n in other.as_dict().items():
            merged[label] = merged.get(label, 0) + n
        return category_summary(merged, self.rows + other.rows, self.missing + other.missing)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CategorySummary)
            and (self.labels, self.rows, self.missing) == (other.labels, other.rows, other.missing)
            and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class CountSummary:
    """How many values a column had, and up to two distinct ones (enough to tell a constant column)."""

    kind: ColumnKind
    rows: int
    missing: int
    count: int
    some_values: tuple[str, ...] = ()

    @property
    def constant(self) -> bool:
        return len(self.some_values) == 1

    def merge(self, other: Summary) -> Summary:
        return _counts_only(self, other)


Summary = NumericSummary | CategorySummary | CountSummary


def _some_values(summary: Summary) -> tuple[str, ...]:
    if isinstance(summary, NumericSummary):
        return tuple(dict.fromkeys(repr(float(v)) for v in summary.runs[0][:2]))
    if isinstance(summary, CategorySummary):
        return summary.labels[:2]
    return summary.some_values


def _counts_only(first: Summary, second: Summary) -> CountSummary:
    """Summaries of different kinds (the kind was inferred per piece) keep only what both know."""
    some = tuple(dict.fromkeys(_some_values(first) + _some_values(second)))[:2]
    return CountSummary(
        first.kind, first.rows + second.rows, first.missing + second.missing, first.count + second.count, some
    )


def category_summary(counts: dict[str, int], rows: int, missing: int) -> CategorySummary:
    labels = tuple(sorted(label for label, n in counts.items() if n > 0))
    return CategorySummary(labels, np.array([counts[k] for k in labels], dtype=np.int64), rows, missing)


def numeric_summary(values: FloatArray, rows: int, missing: int, non_numeric: int = 0) -> NumericSummary:
    ordered = np.sort(values)  # a copy: the caller's array stays as it was
    return NumericSummary(ordered, rows, missing, non_numeric)


def _sorted_in_place(values: FloatArray, rows: int, missing: int) -> NumericSummary:
    values.sort()  # `values` is already a private copy
    return NumericSummary(values, rows, missing)


def _label_counts(labels: Any, per_label: IntArray) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label, n in zip(labels, per_label, strict=True):  # distinct values only, not rows
        counts[str(label)] = counts.get(str(label), 0) + int(n)
    return counts


def _category_codes(series: pd.Series) -> CategorySummary:
    """Counts of a categorical of strings from its codes: no string is hashed or labelled; a string's
    label is the string itself (cleaning.category_labels), so the counts are those of the strings."""
    codes = series.cat.codes.to_numpy()
    per_code = np.bincount(codes.astype(np.intp) + 1, minlength=len(series.cat.categories) + 1)
    counts = {str(label): int(n) for label, n in zip(series.cat.categories, per_code[1:], strict=True) if n}
    return category_summary(counts, len(series), int(per_code[0]))


def _categories(series: pd.Series) -> CategorySummary:
    """Counts by label without labelling every row: hash the rows once (factorize, which also finds
    the missing ones), then label and clean only the distinct values. A categorical of strings
    (Parquet's dictionary-encoded strings) is counted on its codes instead."""
    if string_categories(series):
        return _category_codes(series)
    rows = len(series)
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # unhashable values (lists, dicts): label every row, then count
        missing = missing_mask(series)
        labels = category_labels(series[~missing])
        codes, uniques = pd.factorize(labels)
        per_code = np.bincount(codes, minlength=len(uniques))
        return category_summary(_label_counts(uniques, per_code), rows, int(missing.sum()))
    per_code = np.bincount(codes + 1, minlength=len(uniques) + 1)  # [missing, then each unique]
    distinct = normalise_dtype(pd.Series(uniques))  # the Series keeps the column's dtype
    infinite = missing_mask(distinct).to_numpy()  # +-inf among the values count as missing too
    n_missing = int(per_code[0]) + int(per_code[1:][infinite].sum())
    kept = distinct[~infinite]
    counts = _label_counts(category_labels(kept), per_code[1:][~infinite]) if len(kept) else {}
    return category_summary(counts, rows, n_missing)


def _plain_numbers(series: pd.Series) -> bool:
    dtype = series.dtype
    return (ptypes.is_float_dtype(dtype) or ptypes.is_integer_dtype(dtype)) and not ptypes.is_bool_dtype(
        dtype
    )


def summarise(series: pd.Series, kind: ColumnKind) -> Summary:
    """One side of one column, cleaned (see cleaning.py for what counts as missing) and summarised."""
    if kind is ColumnKind.CATEGORICAL:
        return _categories(series)
    series = as_strings(series)  # strings judged as another kind are cleaned as the strings they are
    if kind is ColumnKind.NUMERICAL and _plain_numbers(series):  # the common case, without copies
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)  # may share the frame's memory
        keep = np.isfinite(numbers)
        finite = np.array(numbers) if keep.all() else numbers[keep]  # a private copy either way
        return _sorted_in_place(finite, len(series), len(series) - len(finite))
    cleaned = clean(series, kind)
    if kind is ColumnKind.NUMERICAL:
        return numeric_summary(cleaned.values, len(series), cleaned.missing, cleaned.non_numeric)
    distinct = tuple(str(v) for v in pd.unique(cleaned.values)[:2])
    return CountSummary(kind, len(series), cleaned.missing, len(cleaned.values), distinct)


def summarise_values(values: npt.NDArray[Any], kind: ColumnKind) -> Summary:
    """A summary of already cleaned values (float64 for numerical, labels for categorical)."""
    if kind is ColumnKind.NUMERICAL:
        return numeric_summary(np.asarray(values, dtype=np.float64), len(values), 0)
    if kind is ColumnKind.CATEGORICAL:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object), sort=False)
        per_code = np.bincount(codes, minlength=len(uniques)) if len(codes) else np.zeros(0, np.int64)
        counts: dict[str, int] = {}
        for label, n in zip(uniques, per_code, strict=True):
            counts[str(label)] = counts.get(str(label), 0) + int(n)
        return category_summary(counts, len(values), 0)
    return CountSummary(kind, len(values), 0, len(values), tuple(str(v) for v in pd.unique(values)[:2]))
