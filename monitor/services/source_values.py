"""What a sample of a source's rows says about a column: does it hold times, numbers, the declared
type. Each check returns why not (for a message) or None; values are judged as runs would use them."""

from __future__ import annotations

import warnings

import pandas as pd
from pandas.api import types as ptypes

# How many column names a message lists before "...".
SHOWN_COLUMNS = 20


def listed(columns: pd.Index) -> str:
    names = [str(c) for c in columns]
    more = f", ... ({len(names)} in all)" if len(names) > SHOWN_COLUMNS else ""
    return ", ".join(names[:SHOWN_COLUMNS]) + more if names else "no column"


def _example(values: pd.Series) -> str:
    first = values.iloc[0]
    shown = repr(first) if isinstance(first, str) else str(first)  # 2.5, not np.float64(2.5)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def time_problem(column: pd.Series) -> str | None:
    """Why the values are not times, or None. Text that pandas parses is accepted: runs parse it the
    same way (sources.base.utc_frame_times)."""
    if ptypes.is_datetime64_any_dtype(column):
        return None
    values = column.dropna()
    if ptypes.is_bool_dtype(values) or ptypes.is_numeric_dtype(values):
        return f"holds {column.dtype} values (e.g. {_example(values)}), not times" if len(values) else None
    parsed = _parsed_times(values)
    unparsed = values[parsed.isna()]
    if len(unparsed):
        return f"holds values that are not times (e.g. {_example(unparsed)})"
    return None


def _parsed_times(values: pd.Series) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format": the values are judged below
        try:
            return pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
        except (TypeError, ValueError, OverflowError):
            return pd.Series(pd.NaT, index=values.index)


def number_problem(column: pd.Series) -> str | None:
    """Why the values are not numbers, or None. Numeric text passes: scores are read with
    pandas.to_numeric."""
    values = column.dropna()
    if ptypes.is_bool_dtype(values):
        return f"holds booleans (e.g. {_example(values)}), not numbers" if len(values) else None
    if ptypes.is_numeric_dtype(values):
        return None
    unparsed = values[pd.to_numeric(values, errors="coerce").isna()]
    if len(unparsed):
        return f"holds values that are not numbers (e.g. {_example(unparsed)})"
    return None


def _is_number(values: pd.Series) -> bool:
    return ptypes.is_numeric_dtype(values) and not ptypes.is_bool_dtype(values)


def _is_integer(values: pd.Series) -> bool:
    if ptypes.is_integer_dtype(values) and not ptypes.is_bool_dtype(values):
        return True
    # Integers with missing values come back as floats.
    return ptypes.is_float_dtype(values) and bool((values % 1 == 0).all())


def _is_text(values: pd.Series) -> bool:
    return bool(values.map(lambda v: isinstance(v, str)).all())


def _is_boolean(values: pd.Series) -> bool:
    return ptypes.is_bool_dtype(values) or bool(values.map(lambda v: isinstance(v, bool)).all())


_FITS = {"number": _is_number, "integer": _is_integer, "string": _is_text, "boolean": _is_boolean}


def declared_type_problem(column: pd.Series, declared: str) -> str | None:
    """Why the values do not fit the type `schema.types` declares, or None."""
    if declared == "timestamp":
        return time_problem(column)
    values = column.dropna()
    if not len(values) or _FITS[declared](values):
        return None
    return f"holds {_kind(values)} (e.g. {_example(values)})"


def _kind(values: pd.Series) -> str:
    if ptypes.is_bool_dtype(values):
        return "booleans"
    if ptypes.is_integer_dtype(values):
        return "integers"
    if ptypes.is_float_dtype(values):
        return "numbers with fractions" if not bool((values % 1 == 0).all()) else "numbers"
    if ptypes.is_datetime64_any_dtype(values):
        return "times"
    if _is_text(values):
        return "text"
    return f"{values.dtype} values"
