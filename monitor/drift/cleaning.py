"""Turning one side of a column into the clean 1-D array a test computes on.

Missing means NaN, None, NA, NaT or +-inf; missing values are dropped and counted. Numerical
columns become float64 (booleans 0/1, datetimes their integer timestamps); a value that cannot be
read as a number is counted as missing too, and separately as `non_numeric`, so an overridden kind
never hides data silently. Categorical columns become string labels that are equal when the values
are: numbers are written so that 1, 1.0 and numpy.int64(1) are all "1" (an integer column that
gained a NaN in one window is float there, and must still match), also among other values in an
object column, everything else by str() (monitor.quality.labels, shared with data quality and
segment names). A label depends on its value alone, never on the values beside it, so a piece of a
window labels a value as the whole window does.
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
from monitor.quality.labels import category_labels

__all__ = ["CleanValues", "category_labels", "clean", "missing_mask"]

_INFINITIES = [np.inf, -np.inf]


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
