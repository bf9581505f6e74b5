"""Turning one side of a column into the clean 1-D array a test computes on.

Missing means NaN, None, NA, NaT or +-inf; missing values are dropped and counted. Numerical
columns become float64 (booleans 0/1, datetimes their integer timestamps); a value that cannot be
read as a number is counted as missing too, and separately as `non_numeric`, so an overridden kind
never hides data silently. Categorical columns become string labels that are equal when the values
are: numbers are written so that 1, 1.0 and numpy.int64(1) are all "1" (an integer column that
gained a NaN in one window is float there, and must still match), also among other values in an
object column, everything else by str(). A label depends on its value alone, never on the values
beside it, so a piece of a window labels a value as the whole window does.
Skipped columns are only counted, so their values are kept as they are (object ones as str).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.drift.base import Values
from monitor.drift.kinds import normalise_dtype
from monitor.drift.types import ColumnKind

_INFINITIES = [np.inf, -np.inf]
# Floats beyond this are not exact integers, so they keep their float spelling.
_EXACT_INT_LIMIT = 2.0**53


@dataclass(frozen=True)
class CleanValues:
    values: Values
    missing: int
    non_numeric: int = 0


def missing_mask(series: pd.Series) -> pd.Series:
    if ptypes.is_float_dtype(series.dtype):
        return series.isna() | series.isin(_INFINITIES)
    if ptypes.is_object_dtype(series.dtype):  # an object column can still hold float infinities
        return series.isna() | series.isin(_INFINITIES)
    return series.isna()


def _number_labels(numbers: Values) -> Values:
    whole = (numbers % 1 == 0) & (np.abs(numbers) < _EXACT_INT_LIMIT)
    as_int = np.where(whole, numbers, 0).astype(np.int64).astype(str)
    labels: Values = np.where(whole, as_int, numbers.astype(str)).astype(object)
    return labels


def _as_number(value: object) -> float | None:
    """A number's value as a float (booleans are not numbers here: True reads "True"), else None."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    try:
        return float(value)
    except OverflowError:  # a Python int beyond any float: no number column could hold it either
        return None


def _object_labels(values: pd.Series) -> Values:
    """Labels of an object column's values, numbers among them written as numbers."""
    items = values.to_numpy(dtype=object)
    labels: Values = np.array([str(v) for v in items], dtype=object)
    numbers = [_as_number(v) for v in items]
    is_number = np.array([n is not None for n in numbers], dtype=bool)
    if is_number.any():
        floats = np.array([n for n in numbers if n is not None], dtype=np.float64)
        labels[is_number] = _number_labels(floats)
    return labels


def category_labels(values: pd.Series) -> Values:
    """String labels of non-missing values (see the module docstring for why numbers are special)."""
    dtype = values.dtype
    # Booleans count as numeric to pandas, but True must read "True", not "1".
    plain_number = not ptypes.is_bool_dtype(dtype) and not ptypes.is_complex_dtype(dtype)
    if ptypes.is_numeric_dtype(dtype) and plain_number:
        # Format each distinct number once: formatting a million floats is the slow part.
        codes, uniques = pd.factorize(values.to_numpy(dtype=np.float64))
        spread: Values = _number_labels(np.asarray(uniques, dtype=np.float64))[codes]
        return spread
    if ptypes.is_object_dtype(dtype) and ptypes.infer_dtype(values, skipna=False) != "string":
        return _object_labels(values)
    if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
        # Each by itself: formatted as a whole, a Series drops the time of day if all are at midnight.
        return np.array([str(v) for v in values], dtype=object)
    labels: Values = values.astype(str).to_numpy(dtype=object)
    return labels


def clean(series: pd.Series, kind: ColumnKind) -> CleanValues:
    series = normalise_dtype(series)
    missing = missing_mask(series)
    present = series[~missing]
    if kind is ColumnKind.SKIPPED:  # only counted, never tested: labelling would be wasted work
        # ...except object values, which may be unhashable (lists, dicts) and are counted distinct.
        raw = present.astype(str) if ptypes.is_object_dtype(present.dtype) else present
        return CleanValues(values=raw.to_numpy(), missing=int(missing.sum()))
    if kind is ColumnKind.CATEGORICAL:
        return CleanValues(values=category_labels(present), missing=int(missing.sum()))
    if ptypes.is_bool_dtype(present.dtype):
        present = present.astype(np.int8)
    numbers = pd.to_numeric(present, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    readable = np.isfinite(numbers)
    non_numeric = int((~readable).sum())
    return CleanValues(numbers[readable], missing=int(missing.sum()) + non_numeric, non_numeric=non_numeric)
