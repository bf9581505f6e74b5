"""String labels of category values that depend on the value alone, never on the column's dtype:
numbers are written so that 1, 1.0 and numpy.int64(1) are all "1" (an integer column that gained a
missing value in one window or one piece is float there, and must still match), also among other
values in an object column; everything else by str(). The drift engine's categories, data quality's
known categories and segment names all use them, so a value has one name everywhere."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api import types as ptypes

Values = npt.NDArray[Any]
# Floats beyond this are not exact integers, so they keep their float spelling.
_EXACT_INT_LIMIT = 2.0**53


def _number_labels(numbers: Values) -> Values:
    with np.errstate(invalid="ignore"):  # infinities (data quality keeps them) are not whole: "inf"
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
