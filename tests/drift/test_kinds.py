from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.drift import ColumnKind, infer_kind
from monitor.drift.kinds import ID_LIKE_MIN_DISTINCT, MAX_INTEGER_CATEGORIES

NUM, CAT, SKIP = ColumnKind.NUMERICAL, ColumnKind.CATEGORICAL, ColumnKind.SKIPPED


@pytest.mark.parametrize(
    ("series", "kind"),
    [
        (pd.Series([True, False, True]), CAT),
        (pd.Series([True, None, False], dtype="boolean"), CAT),
        (pd.Series([True, None, False], dtype=object), CAT),
        (pd.Series(np.arange(MAX_INTEGER_CATEGORIES) % 10), CAT),  # exactly the cut-off: categorical
        (pd.Series(np.arange(MAX_INTEGER_CATEGORIES + 1)), NUM),  # one more: numerical
        (pd.Series([1, 2, None], dtype="Int64"), CAT),
        (pd.Series([1, 2, None], dtype=object), CAT),  # Python ints with a None
        (pd.Series([0.0, 1.0, np.nan, 1.0]), CAT),  # a 0/1 flag that a missing value made float
        (pd.Series(np.arange(50, dtype=float)), NUM),  # whole floats but many of them
        (pd.Series([0.5, 1.25, 3.0]), NUM),
        (pd.Series([0.5, 1.25, None], dtype=object), NUM),
        (pd.Series(["a", "b", "a"]), CAT),
        (pd.Series(["a", "b", None], dtype=object), CAT),
        (pd.Series(["x", "y"], dtype="category"), CAT),
        (pd.Series([1, "a", 2.5, None], dtype=object), CAT),  # mixed types: judged on their string form
        (pd.Series(pd.date_range("2024-01-01", periods=5)), SKIP),
        (pd.Series(pd.date_range("2024-01-01", periods=3, tz="UTC")), SKIP),
        (pd.Series(pd.to_timedelta([1, 2], unit="s")), SKIP),
        (pd.Series([pd.Timestamp("2024-01-01"), None], dtype=object), SKIP),
    ],
)
def test_infer_kind(series: pd.Series, kind: ColumnKind) -> None:
    inferred, reason = infer_kind(series)
    assert inferred is kind
    assert reason  # always says why


def test_id_like_strings_are_skipped_with_the_reason() -> None:
    kind, reason = infer_kind(pd.Series([f"user-{i}" for i in range(100)]))
    assert kind is SKIP
    assert "ID-like" in reason and "100 distinct" in reason


def test_few_unique_strings_are_not_id_like() -> None:
    # All distinct, but too few values to call it an identifier.
    assert infer_kind(pd.Series([f"v{i}" for i in range(ID_LIKE_MIN_DISTINCT - 1)]))[0] is CAT
    # Many values but repeated: a high-cardinality category, not an ID.
    assert infer_kind(pd.Series([f"v{i % 30}" for i in range(300)]))[0] is CAT


def test_mixed_types_reason_says_string_form() -> None:
    kind, reason = infer_kind(pd.Series([1, "a", 2.5], dtype=object))
    assert kind is CAT and "string form" in reason


def test_integer_reason_states_the_cut_off() -> None:
    assert infer_kind(pd.Series([1, 2, 3]))[1] == "integer with 3 <= 10 distinct values"


def test_empty_and_all_missing_columns_do_not_raise() -> None:
    assert infer_kind(pd.Series([], dtype=float))[0] is NUM
    assert infer_kind(pd.Series([None, None], dtype=object))[0] is CAT
    assert infer_kind(pd.Series([np.nan, np.nan]))[0] is NUM


@pytest.mark.parametrize("dtype", ["float64", "Float64", "float32"])
def test_whole_number_floats_are_judged_on_every_value_not_only_the_first(dtype: str) -> None:
    flags = np.tile([0.0, 1.0], 1500)  # 3,000 values: more than the first thousand looked at first
    assert infer_kind(pd.Series(flags, dtype=dtype)) == (
        CAT,
        "whole-number float with 2 <= 10 distinct values",
    )
    with_a_fraction = flags.copy()
    with_a_fraction[2500] = 0.5  # past the first thousand
    assert infer_kind(pd.Series(with_a_fraction, dtype=dtype)) == (NUM, "float")
    # Missing values and infinities among the first values are not whole numbers, nor fractions.
    leading = np.concatenate([[np.nan, np.inf, -np.inf] * 400, flags])
    assert infer_kind(pd.Series(leading, dtype=dtype))[0] is CAT
    assert infer_kind(pd.Series([np.nan] * 5, dtype=dtype)) == (NUM, "float")
