"""What the quality checks count of a window's column, in a form that merges: pieces of a window (a Dask
DataFrame's partitions) each give their ColumnFacts, and the merged facts are those of the whole column.

- rows and missing values (null, NaN, +-inf) add up;
- the value family: a piece without values tells nothing; pieces of one family keep it; pieces of
  different families make the column `mixed` (what `value_family` says of the values together);
- the range check's facts, when the reference keeps a range: finite numbers, how many lie below and
  above the reference's range, their min and max;
- the category check's facts, when the reference keeps its categories: non-missing values, and the
  count of each value the reference lacks (as text), in order of first appearance.
`checks.assess_window` computes its checks from these facts of the whole column, so a window checked
whole and one checked in merged pieces get the same checks.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

from monitor.quality.labels import category_labels
from monitor.quality.reference import (
    CATEGORICAL,
    NUMERICAL,
    ReferenceColumn,
    finite_numbers,
    missing_values,
    value_family,
)

MIXED = "mixed"


@dataclass(frozen=True)
class RangeFacts:
    numbers: int = 0  # finite values read as numbers
    below: int = 0
    above: int = 0
    low: float | None = None  # min and max of those values (None: none)
    high: float | None = None

    def merge(self, other: RangeFacts) -> RangeFacts:
        lows = [v for v in (self.low, other.low) if v is not None]
        highs = [v for v in (self.high, other.high) if v is not None]
        return RangeFacts(
            self.numbers + other.numbers,
            self.below + other.below,
            self.above + other.above,
            min(lows) if lows else None,
            max(highs) if highs else None,
        )


@dataclass(frozen=True)
class CategoryFacts:
    present: int = 0  # non-missing values
    new: dict[str, int] = field(default_factory=dict)  # values the reference lacks: rows, first seen first

    def merge(self, other: CategoryFacts) -> CategoryFacts:
        new = dict(self.new)
        for value, count in other.new.items():
            new[value] = new.get(value, 0) + count
        return CategoryFacts(self.present + other.present, new)

    def counts(self) -> pd.Series:
        """The new values' counts, most rows first (ties: first seen first), as `value_counts` gives them."""
        series = pd.Series(self.new, dtype="int64")
        return series.sort_values(ascending=False, kind="stable")


@dataclass(frozen=True)
class ColumnFacts:
    rows: int
    missing: int
    family: str | None
    range: RangeFacts | None = None  # None: the reference keeps no range for the column
    categories: CategoryFacts | None = None  # None: the reference keeps no categories

    def merge(self, other: ColumnFacts) -> ColumnFacts:
        return ColumnFacts(
            self.rows + other.rows,
            self.missing + other.missing,
            merge_family(self.family, other.family),
            _merge_optional(self.range, other.range),
            _merge_optional(self.categories, other.categories),
        )


Part = TypeVar("Part", RangeFacts, CategoryFacts)


def _merge_optional(one: Part | None, other: Part | None) -> Part | None:
    if one is None or other is None:
        return one if other is None else other
    return one.merge(other)


def merge_family(one: str | None, other: str | None) -> str | None:
    if one is None or other is None:
        return one if other is None else other
    return one if one == other else MIXED


def range_facts(values: pd.Series, reference: ReferenceColumn) -> RangeFacts:
    numbers = finite_numbers(values)
    if reference.value_range is None or len(numbers) == 0:
        return RangeFacts(len(numbers))
    low, high = reference.value_range
    below, above = int(np.sum(numbers < low)), int(np.sum(numbers > high))
    return RangeFacts(len(numbers), below, above, float(numbers.min()), float(numbers.max()))


def _new_values(current: pd.Series, known: frozenset[str]) -> tuple[int, pd.Series]:
    """How many values are present, and the labels of those (in row order) the reference never had.
    Labels depend on the value alone (monitor.quality.labels), so an integer column that is float
    in a window with a missing value still matches. A categorical is judged on its categories and
    codes: only the rows holding a new category are labelled."""
    if isinstance(current.dtype, pd.CategoricalDtype):
        codes = current.cat.codes.to_numpy()
        texts = category_labels(pd.Series(current.cat.categories))
        unknown = np.flatnonzero(~pd.Index(texts).isin(known))
        present = int(np.count_nonzero(codes >= 0))
        return present, pd.Series(texts[codes[np.isin(codes, unknown)]], dtype=object)
    values = current.dropna()
    if isinstance(values.dtype, pd.StringDtype):
        # Text is its own label: label and look up each distinct string once, not each row (a
        # million rows of a few hundred strings: 0.1 s instead of 1 s).
        codes, uniques = pd.factorize(values)
        texts = category_labels(pd.Series(uniques, dtype=values.dtype))
        unknown = np.flatnonzero(~pd.Index(texts).isin(known))
        return len(values), pd.Series(texts[codes[np.isin(codes, unknown)]], dtype=object)
    labels = pd.Series(category_labels(values), dtype=object)
    return len(values), labels[~labels.isin(known)]


def category_facts(values: pd.Series, known: frozenset[str]) -> CategoryFacts:
    present, new = _new_values(values, known)
    counts = new.value_counts(sort=False)
    return CategoryFacts(present, {str(k): int(v) for k, v in counts.items()})


def column_facts(
    values: pd.Series, reference: ReferenceColumn | None, checks: Collection[str] = (NUMERICAL, CATEGORICAL)
) -> ColumnFacts:
    """The facts of one column (or a piece of it) against its reference's summary (None: the
    reference lacks the column: missing values only), with the facts of the `checks` (numerical:
    range, categorical: categories) that the reference keeps what they need for."""
    missing = int(missing_values(values).sum())
    if reference is None:
        return ColumnFacts(len(values), missing, None)
    ranged = reference.ranged and NUMERICAL in checks
    known = reference.categories if CATEGORICAL in checks else None
    return ColumnFacts(
        len(values),
        missing,
        value_family(values),
        range_facts(values, reference) if ranged else None,
        category_facts(values, known) if known is not None else None,
    )
