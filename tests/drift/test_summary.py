"""Current-side summaries merge: a window computed in pieces gives exactly the whole window's results."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.drift import (
    CONTRACT_TESTS,
    ColumnKind,
    ColumnOptions,
    DatasetDrift,
    DriftOptions,
    build_profile,
    compare_datasets,
    compare_summaries,
    summarise_current,
)
from monitor.drift.summary import QUANTILES, CategorySummary, NumericSummary, sorted_quantiles, summarise

from .strategies import categories, finite_floats

ALL_TESTS = ("ks", "chi2", "psi", "wasserstein", "jensenshannon", "hellinger")


@st.composite
def frames(draw: st.DrawFn, min_rows: int = 0) -> pd.DataFrame:
    n = draw(st.integers(min_rows, 160))
    x = draw(st.lists(st.one_of(finite_floats, st.just(math.nan), st.just(math.inf)), min_size=n, max_size=n))
    c = draw(st.lists(st.one_of(categories, st.none()), min_size=n, max_size=n))
    k = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return pd.DataFrame({"x": x, "c": pd.Series(c, dtype=object), "k": k})


def pieces(frame: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    bounds = [0, *sorted(min(c, len(frame)) for c in cuts), len(frame)]
    return [frame.iloc[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(finite_floats, st.just(math.nan)), max_size=100), cut=st.integers(0, 100))
def test_numeric_summaries_merge_to_the_whole(values: list[float], cut: int) -> None:
    series = pd.Series(values, dtype=float)
    whole = summarise(series, ColumnKind.NUMERICAL)
    merged = summarise(series.iloc[:cut], ColumnKind.NUMERICAL).merge(
        summarise(series.iloc[cut:], ColumnKind.NUMERICAL)
    )
    assert merged == whole
    assert isinstance(whole, NumericSummary)
    assert list(whole.values) == sorted(v for v in values if not math.isnan(v))


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(categories, st.none()), max_size=100), cut=st.integers(0, 100))
def test_category_counts_add_up(values: list[str | None], cut: int) -> None:
    series = pd.Series(values, dtype=object)
    whole = summarise(series, ColumnKind.CATEGORICAL)
    merged = summarise(series.iloc[:cut], ColumnKind.CATEGORICAL).merge(
        summarise(series.iloc[cut:], ColumnKind.CATEGORICAL)
    )
    assert merged == whole
    assert isinstance(merged, CategorySummary)
    assert merged.as_dict() == {k: values.count(k) for k in set(values) if k is not None}
    assert merged.missing == values.count(None)


@settings(max_examples=50, deadline=None)
@given(reference=frames(min_rows=1), current=frames(), cuts=st.lists(st.integers(0, 160), max_size=3))
def test_a_window_in_pieces_gives_identical_results(
    reference: pd.DataFrame, current: pd.DataFrame, cuts: list[int]
) -> None:
    options = DriftOptions(tests=ALL_TESTS, columns={"x": ColumnOptions(kind=ColumnKind.NUMERICAL)})
    profile = build_profile(reference, options)
    parts = [summarise_current(piece, profile, options) for piece in pieces(current, cuts)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    assert merged.rows == len(current)
    assert compare_summaries(profile, merged, options) == compare_datasets(reference, current, options)


def _in_pieces(
    reference: pd.DataFrame, current: pd.DataFrame, cut: int, options: DriftOptions
) -> DatasetDrift:
    profile = build_profile(reference, options)
    first = summarise_current(current.iloc[:cut], profile, options)
    return compare_summaries(
        profile, first.merge(summarise_current(current.iloc[cut:], profile, options)), options
    )


def test_an_empty_first_piece_does_not_decide_the_kind_of_a_column_the_reference_has_no_values_of() -> None:
    # Hypothesis's example: every reference value missing, so the current window decides the kind of
    # `c`; the empty piece before cut 0 has no values to judge from, the whole window has strings.
    reference = pd.DataFrame({"x": [math.nan], "c": pd.Series([None], dtype=object), "k": [0]})
    current = pd.DataFrame({"x": [0.0, math.nan], "c": pd.Series(["a", None], dtype=object), "k": [0, 0]})
    options = DriftOptions(tests=ALL_TESTS, columns={"x": ColumnOptions(kind=ColumnKind.NUMERICAL)})
    whole = compare_datasets(reference, current, options)
    assert _in_pieces(reference, current, 0, options) == whole
    c = whole.columns[1]
    assert (c.column, c.kind, c.kind_reason, c.current_count) == ("c", ColumnKind.CATEGORICAL, "string", 1)


def test_the_kind_a_current_window_decides_is_the_whole_windows_not_a_pieces() -> None:
    # `f` has no values in the reference and `n` is not in it, so the current window decides their kinds.
    # The first piece has only whole numbers in `f` (two distinct: categorical), the second fractions;
    # each piece has six distinct integers in `n` (categorical), the window twelve (numerical).
    reference = pd.DataFrame({"f": [math.nan, math.nan]})
    current = pd.DataFrame({"f": [1.0, 2.0] * 3 + [0.5, 0.25] * 3, "n": np.arange(12)})
    options = DriftOptions(tests=ALL_TESTS)
    whole = compare_datasets(reference, current, options)
    assert _in_pieces(reference, current, 6, options) == whole
    assert [(c.column, c.kind, c.kind_reason) for c in whole.columns] == [
        ("f", ColumnKind.NUMERICAL, "float"),
        ("n", ColumnKind.NUMERICAL, "integer with 12 > 10 distinct values"),
    ]


def test_a_number_among_other_values_reads_as_a_number_in_every_piece() -> None:
    # The first piece holds only 2.0, a float column there ("2"); the window mixes it with strings.
    reference = pd.DataFrame({"c": pd.Series([1, "a"], dtype=object)})
    current = pd.DataFrame({"c": pd.Series([2.0, "a", 1], dtype=object)})
    options = DriftOptions(tests=ALL_TESTS)
    whole = compare_datasets(reference, current, options)
    assert _in_pieces(reference, current, 1, options) == whole
    assert whole.columns[0].new_categories == ("2",)


def test_a_time_of_day_reads_the_same_in_every_piece() -> None:
    # Formatted as a whole, a Series of datetimes all at midnight drops the time: "2024-01-01".
    days = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02"]))
    reference = pd.DataFrame({"d": days})
    current = pd.DataFrame({"d": pd.Series([days[0], days[1], days[0] + pd.Timedelta(hours=5)])})
    options = DriftOptions(tests=ALL_TESTS, columns={"d": ColumnOptions(kind=ColumnKind.CATEGORICAL)})
    whole = compare_datasets(reference, current, options)
    assert _in_pieces(reference, current, 2, options) == whole
    assert whole.columns[0].new_categories == ("2024-01-01 05:00:00",)


def test_pieces_of_a_large_window_give_identical_statistics() -> None:
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 30_000), "c": rng.choice(list("abcdefg"), 30_000)})
    cur = pd.DataFrame({"x": rng.normal(0.02, 1, 25_000), "c": rng.choice(list("abcdefh"), 25_000)})
    options = DriftOptions(tests=(*CONTRACT_TESTS, "wasserstein"))
    profile = build_profile(ref, options)
    merged = summarise_current(cur.iloc[:7_000], profile, options)
    for start in range(7_000, 25_000, 6_000):
        merged = merged.merge(summarise_current(cur.iloc[start : start + 6_000], profile, options))
    assert compare_summaries(profile, merged, options) == compare_datasets(ref, cur, options)


def test_a_piece_without_a_column_counts_its_rows_as_missing_there() -> None:
    ref = pd.DataFrame({"x": np.arange(200.0), "y": np.arange(200.0)})
    profile = build_profile(ref, DriftOptions(tests=CONTRACT_TESTS))
    first = summarise_current(pd.DataFrame({"x": np.arange(50.0), "y": np.arange(50.0)}), profile)
    second = summarise_current(pd.DataFrame({"x": np.arange(30.0)}), profile)
    merged = first.merge(second)
    assert merged.rows == 80
    x, y = merged.columns["x"], merged.columns["y"]
    assert isinstance(x, NumericSummary) and isinstance(y, NumericSummary)
    assert y.missing == 30 and y.count == 50
    assert x.count == 80


def test_the_callers_data_is_never_modified() -> None:
    rng = np.random.default_rng(9)
    ref = pd.DataFrame(
        {"x": rng.normal(0, 1, 5000), "i": rng.integers(0, 1000, 5000), "c": rng.choice(list("ab"), 5000)}
    )
    cur = pd.DataFrame(
        {"x": rng.normal(0, 1, 5000), "i": rng.integers(0, 1000, 5000), "c": rng.choice(list("ab"), 5000)}
    )
    before = ref.copy(), cur.copy()
    compare_datasets(ref, cur, DriftOptions(tests=ALL_TESTS))
    summarise_current(cur, build_profile(ref))
    pd.testing.assert_frame_equal(ref, before[0])
    pd.testing.assert_frame_equal(cur, before[1])


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3000),
    scale=st.sampled_from([1e-300, 1e-3, 1.0, 1e6, 1e300]),
    decimals=st.one_of(st.none(), st.integers(0, 2)),
)
def test_quantiles_of_sorted_values_are_numpys_bit_for_bit(
    seed: int, n: int, scale: float, decimals: int | None
) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 1, n)
    if decimals is not None:  # ties
        values = np.round(values, decimals)
    values = np.sort(values * scale)
    expected = np.quantile(values, QUANTILES)
    assert np.array_equal(sorted_quantiles(values, QUANTILES), expected)
    quantiles = tuple(rng.uniform(0, 1, 5))
    assert np.array_equal(sorted_quantiles(values, quantiles), np.quantile(values, quantiles))
