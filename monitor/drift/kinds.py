"""Which kind a column is, judged from its dtype and cardinality, with the reason in words.

Cut-offs (the same 10 as PSI's value bins, so a "few values" column is treated alike everywhere):
- booleans -> categorical;
- integers with at most MAX_INTEGER_CATEGORIES (10) distinct values -> categorical, more -> numerical;
- floats -> numerical, except whole-number floats with at most 10 distinct values, which are
  integers that pandas turned into floats because of a missing value (a 0/1 flag read from CSV);
- strings, pandas categoricals and mixed-type object columns -> categorical (mixed types are judged
  on their string form; a categorical of strings, as Parquet's dictionary-encoded strings arrive, is
  judged exactly as those strings would be, from its codes: see `string_categories`), except
  ID-like columns: at least ID_LIKE_MIN_DISTINCT (20) distinct values making up at least
  ID_LIKE_UNIQUE_SHARE (90%) of the non-missing values -> skipped;
- datetimes, timedeltas and periods -> skipped.
Object columns are first given the dtype their values support (`infer_objects`), so a column of
Python ints is judged as integers. Config overrides this via `DriftOptions.columns[col].kind`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.drift.types import ColumnKind

MAX_INTEGER_CATEGORIES = 10
ID_LIKE_MIN_DISTINCT = 20
ID_LIKE_UNIQUE_SHARE = 0.9

_TEMPORAL = {"datetime", "datetime64", "date", "time", "timedelta", "timedelta64", "period"}


def normalise_dtype(series: pd.Series) -> pd.Series:
    """Object columns get the dtype their values support; anything else is returned as is."""
    return series.infer_objects() if ptypes.is_object_dtype(series.dtype) else series


def _few_values(values: pd.Series, what: str) -> tuple[ColumnKind, str]:
    distinct = values.nunique()
    if distinct <= MAX_INTEGER_CATEGORIES:
        return ColumnKind.CATEGORICAL, f"{what} with {distinct} <= {MAX_INTEGER_CATEGORIES} distinct values"
    return ColumnKind.NUMERICAL, f"{what} with {distinct} > {MAX_INTEGER_CATEGORIES} distinct values"


def strings_kind(distinct: int, count: int, what: str = "string") -> tuple[ColumnKind, str]:
    """Categorical, unless ID-like: many distinct values making up nearly all values."""
    if distinct >= ID_LIKE_MIN_DISTINCT and distinct >= ID_LIKE_UNIQUE_SHARE * count:
        return ColumnKind.SKIPPED, f"ID-like {what}: {distinct} distinct in {count} values"
    return ColumnKind.CATEGORICAL, what


def string_categories(series: pd.Series) -> bool:
    """A pandas categorical whose categories are all strings (dictionary-encoded strings, as Arrow
    reads them): the engine treats it exactly as the strings themselves, counting codes, not rows."""
    dtype = series.dtype
    if not isinstance(dtype, pd.CategoricalDtype):
        return False
    return bool(ptypes.infer_dtype(dtype.categories, skipna=True) == "string")


def as_strings(series: pd.Series) -> pd.Series:
    """A categorical of strings back as its strings (in its categories' dtype); anything else as is."""
    return series.astype(series.dtype.categories.dtype) if string_categories(series) else series


def is_plain_strings(series: pd.Series) -> bool:
    """Strings and missing values only (object or string dtype, or a categorical of strings): judged
    by strings_kind."""
    dtype = series.dtype
    if string_categories(series):
        return True
    if ptypes.is_object_dtype(dtype):
        return bool(ptypes.infer_dtype(series, skipna=True) == "string")
    return ptypes.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)


def _strings(values: pd.Series, what: str) -> tuple[ColumnKind, str]:
    if string_categories(values):  # count codes: the categories used, and the values present
        codes = values.cat.codes.to_numpy()
        present = codes[codes >= 0]
        used = np.bincount(present, minlength=len(values.cat.categories))
        return strings_kind(int(np.count_nonzero(used)), len(present), what)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # one hashing pass for both counts
    return strings_kind(len(uniques), int(np.count_nonzero(codes >= 0)), what)


def _whole_numbers(values: pd.Series) -> pd.Series | None:
    """The finite values if every one is a whole number, else None (usually known from the first few)."""
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    head = numbers[:1000]
    head = head[np.isfinite(head)]
    if not np.array_equal(head, np.floor(head)):  # a fraction among the first values: no copy made
        return None
    finite = numbers[np.isfinite(numbers)]
    if not len(finite):
        return None
    return pd.Series(finite) if np.array_equal(finite, np.floor(finite)) else None


def infer_kind(series: pd.Series) -> tuple[ColumnKind, str]:
    if ptypes.is_object_dtype(series.dtype) and ptypes.infer_dtype(series, skipna=True) == "string":
        # Plain strings, by far the most common object column: no need to convert the whole column.
        return _strings(series, "string")
    if string_categories(series):  # judged as the strings it holds would be
        return _strings(series, "string")
    series = normalise_dtype(series)
    dtype = series.dtype
    if ptypes.is_float_dtype(dtype):  # before dropping missing values: floats need no copy of them
        whole = _whole_numbers(series)
        if whole is not None:
            return _few_values(whole, "whole-number float")
        return ColumnKind.NUMERICAL, "float"
    values = series.dropna()
    if ptypes.is_bool_dtype(dtype):
        return ColumnKind.CATEGORICAL, "boolean"
    if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
        return ColumnKind.SKIPPED, "datetime"
    if isinstance(dtype, pd.PeriodDtype):
        return ColumnKind.SKIPPED, "period"
    if isinstance(dtype, pd.CategoricalDtype):
        return _strings(values.astype(str), "pandas categorical")
    if ptypes.is_integer_dtype(dtype):
        return _few_values(values, "integer")
    if ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):  # e.g. decimal types
        return ColumnKind.NUMERICAL, str(dtype)
    if ptypes.is_string_dtype(dtype) and not ptypes.is_object_dtype(dtype):
        return _strings(values, "string")
    inferred = ptypes.infer_dtype(values, skipna=True)
    if inferred in _TEMPORAL:
        return ColumnKind.SKIPPED, f"{inferred} values"
    if inferred == "empty":
        return ColumnKind.CATEGORICAL, "no values to judge the kind from"
    if inferred == "boolean":
        return ColumnKind.CATEGORICAL, "boolean"
    if inferred == "decimal":
        return ColumnKind.NUMERICAL, "decimal"
    if inferred == "string":
        return _strings(values, "string")
    return _strings(values.astype(str), f"{inferred} types, judged on their string form")
