"""What the quality checks need of the reference, summarised once so a run never reads the reference.

A QualityReference holds exactly the facts `assess_window` compares a window with, each computed as
the checks used to compute it from the reference DataFrame, so the results are the same:
- the name of every reference column (a current column the reference lacks is a `new_column`);
- per summarised column: its value family (`type_change`), its missing share (`missing_share`),
  the min and max of its values read as numbers (`out_of_range`) and the set of its values as
  strings (`new_categories`).
The range and the category set are kept only when a check can use them (`check_kinds`): the check of
the column's family (what a column gets when no kind is given, as the model's outputs are) or of the
kind the drift engine gives it. So a float column keeps no set of its values as text, which would be
as large as the column; a text column keeps its set even when the engine skips it as ID-like, since
a check given no kind would use it.

The reference profile (monitor/drift/profile.py) builds one and stores it with the drift summaries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from monitor.quality.labels import category_labels

NUMERICAL = "numerical"
CATEGORICAL = "categorical"


def value_family(values: pd.Series) -> str | None:
    """number, boolean, text, datetime or mixed; None when there is no value to tell by."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    return {
        "empty": None,
        "string": "text",
        "categorical": "text",
        "integer": "number",
        "floating": "number",
        "mixed-integer-float": "number",
        "decimal": "number",
        "boolean": "boolean",
        "datetime": "datetime",
        "datetime64": "datetime",
        "date": "datetime",
    }.get(inferred, "mixed")


def family_kind(family: str | None) -> str | None:
    """The check a column gets when no kind is given for it: the reference's family decides."""
    return {"number": NUMERICAL, "text": CATEGORICAL, "boolean": CATEGORICAL}.get(family or "")


def missing_values(values: pd.Series) -> pd.Series:
    """Null, NaN and, in float columns, +-inf."""
    missing = values.isna()
    if pd.api.types.is_float_dtype(values.dtype):
        missing |= np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
    return missing


def finite_numbers(values: pd.Series) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The values read as numbers (unreadable ones dropped), finite ones only."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    finite: np.ndarray[Any, np.dtype[np.float64]] = numbers[np.isfinite(numbers)]
    return finite


def category_set(values: pd.Series) -> frozenset[str]:
    """The labels of the reference's values (monitor.quality.labels: 1 and 1.0 are both "1")."""
    present = values.dropna()
    if isinstance(present.dtype, pd.CategoricalDtype):  # labelled as its categories' own values
        present = present.astype(present.cat.categories.dtype)
    return frozenset(category_labels(present))


def check_kinds(family: str | None, kind: str | None) -> set[str | None]:
    """The kinds a column's checks can run with: the family's (when the caller gives no kind) and
    `kind`, what the drift engine will say; None for a kind not known yet (the current decides)."""
    return {family_kind(family), kind} if kind is not None else {family_kind(family), NUMERICAL, CATEGORICAL}


@dataclass(frozen=True)
class ReferenceColumn:
    family: str | None
    missing_share: float
    # Whether the range was computed; then value_range is (min, max) of the finite numbers, or None
    # when the column has none.
    ranged: bool = False
    value_range: tuple[float, float] | None = None
    categories: frozenset[str] | None = None  # None: not kept (no category check can run)

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "missing_share": self.missing_share,
            "ranged": self.ranged,
            "value_range": None if self.value_range is None else list(self.value_range),
            "categories": None if self.categories is None else sorted(self.categories),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReferenceColumn:
        low_high = data["value_range"]
        categories = data["categories"]
        return cls(
            family=data["family"],
            missing_share=float(data["missing_share"]),
            ranged=bool(data["ranged"]),
            value_range=None if low_high is None else (float(low_high[0]), float(low_high[1])),
            categories=None if categories is None else frozenset(str(c) for c in categories),
        )


@dataclass(frozen=True)
class QualityReference:
    column_names: tuple[str, ...]  # every column of the reference, summarised or not
    columns: Mapping[str, ReferenceColumn]  # the summarised ones

    @cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(self.column_names)

    def has(self, name: str) -> bool:
        return name in self._names

    def column(self, name: str) -> ReferenceColumn:
        try:
            return self.columns[name]
        except KeyError:
            raise ValueError(
                f"the reference summary has no facts about column {name!r}; "
                f"it summarised {', '.join(self.columns) or 'no column'}"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "column_names": list(self.column_names),
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QualityReference:
        return cls(
            tuple(str(n) for n in data["column_names"]),
            {str(n): ReferenceColumn.from_dict(c) for n, c in data["columns"].items()},
        )


def describe_column(values: pd.Series, *, kind: str | None) -> ReferenceColumn:
    """One reference column's facts; `kind` as in `check_kinds`."""
    family = value_family(values)
    share = float(missing_values(values).mean()) if len(values) else 0.0
    kinds = check_kinds(family, kind)
    value_range = None
    if NUMERICAL in kinds:
        numbers = finite_numbers(values)
        value_range = (float(numbers.min()), float(numbers.max())) if len(numbers) else None
    categories = category_set(values) if CATEGORICAL in kinds else None
    return ReferenceColumn(family, share, NUMERICAL in kinds, value_range, categories)


def describe_reference(
    reference: pd.DataFrame, columns: Sequence[str] | None = None, *, kinds: Mapping[str, str] | None = None
) -> QualityReference:
    """The facts of `columns` (default: all) of `reference`; `kinds[col]`, when known, is the kind
    the drift engine gives the column, so only what that kind's check needs is kept."""
    names = [str(c) for c in reference.columns]
    if len(set(names)) < len(names):
        raise ValueError("the reference has duplicated column names")
    by_name = dict(zip(names, reference.columns, strict=True))
    wanted = names if columns is None else [c for c in dict.fromkeys(columns) if c in by_name]
    facts = {name: describe_column(reference[by_name[name]], kind=(kinds or {}).get(name)) for name in wanted}
    return QualityReference(tuple(names), facts)
