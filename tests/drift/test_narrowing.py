"""KS's extremes found by narrowing (monitor/drift/narrowing.py) against scipy's ks_2samp, which
evaluates the two empirical CDFs at every value: the same statistic bit for bit, the same location
and the same sign, whatever the ties, sizes and shapes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from monitor.drift import ColumnKind, ColumnOptions, DriftOptions, Status, compare_datasets, get_test
from monitor.drift.narrowing import narrowed_extremes

KS = get_test("ks")


def assert_as_scipy(reference: np.ndarray, current: np.ndarray) -> None:
    expected = stats.ks_2samp(reference, current, method="asymp")
    found = narrowed_extremes(np.sort(reference), np.sort(current))
    assert found is not None
    statistic, location, sign = found
    assert statistic == expected.statistic  # bit for bit, not approximately
    assert location == expected.statistic_location
    assert sign == expected.statistic_sign


def draw(seed: int, n1: int, n2: int, shape: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if shape == "shifted":
        return rng.normal(0, 1, n1), rng.normal(0.1, 1, n2)
    if shape == "same":
        return rng.normal(0, 1, n1), rng.normal(0, 1, n2)
    if shape == "wider":
        return rng.normal(0, 1, n1), rng.normal(0, 1.5, n2)
    if shape == "rounded":  # ties within and across the samples
        return np.round(rng.normal(0, 1, n1), 1), np.round(rng.normal(0.05, 1, n2), 1)
    if shape == "integers":  # few distinct values, mostly ties
        return rng.integers(0, 5, n1).astype(float), rng.integers(0, 6, n2).astype(float)
    if shape == "resampled":  # the current drawn from the reference's own values
        reference = rng.normal(0, 1, n1)
        return reference, reference[rng.integers(0, n1, n2)]
    if shape == "disjoint":  # one side entirely above the other
        return rng.normal(0, 1, n1), rng.normal(100, 1, n2)
    raise ValueError(shape)


SHAPES = ["shifted", "same", "wider", "rounded", "integers", "resampled", "disjoint"]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n1=st.integers(2, 20_000),  # from 2 values, as the engine compares (scipy's p-value needs 2)
    n2=st.integers(2, 20_000),
    shape=st.sampled_from(SHAPES),
)
def test_narrowing_finds_scipys_statistic_location_and_sign(seed: int, n1: int, n2: int, shape: str) -> None:
    # Sizes up to 20,000 take every level of narrowing (runs of 4096, 256, 16, then single values),
    # in both orders of sizes.
    assert_as_scipy(*draw(seed, n1, n2, shape))


@pytest.mark.parametrize("n1, n2", [(300_000, 120_000), (120_000, 300_000)])
@pytest.mark.parametrize("shape", ["shifted", "same", "rounded"])
def test_narrowing_on_large_samples(n1: int, n2: int, shape: str) -> None:
    assert_as_scipy(*draw(7, n1, n2, shape))


def test_by_hand() -> None:
    # F_ref - F_cur for [1, 2, 3, 4] and [3, 4, 5, 6]: at the reference values 1/4, 2/4, 3/4 - 1/4,
    # 4/4 - 2/4; at the current ones 2/4, 2/4, 1 - 3/4, 0. The largest, 0.5, is first reached at 2
    # (reference values come first), with the reference above.
    assert narrowed_extremes(np.array([1.0, 2, 3, 4]), np.array([3.0, 4, 5, 6])) == (0.5, 2.0, 1)
    # The current entirely below: F_cur reaches 1 before F_ref moves; the smallest, -1, is first
    # reached at the current's largest value, 2.
    assert narrowed_extremes(np.array([5.0, 6]), np.array([1.0, 2])) == (1.0, 2.0, -1)


def test_a_reference_value_at_the_minimum_is_reported_first_as_scipy_does() -> None:
    # F_ref - F_cur is -1/4 at the current values 1, 3, 4 and 11 and at the reference value 4, and
    # never above 0: the statistic is 1/4 with the current above. scipy reports the first minimum in
    # the order reference values then current values: the reference's 4, not the current's 1.
    reference, current = np.array([2.0, 4, 9, 12]), np.array([1.0, 3, 4, 11])
    expected = stats.ks_2samp(reference, current)
    assert (expected.statistic, expected.statistic_location, expected.statistic_sign) == (0.25, 4.0, -1)
    assert narrowed_extremes(reference, current) == (0.25, 4.0, -1)


def test_all_equal_values() -> None:
    same = np.full(5000, 2.5)
    assert narrowed_extremes(same, same[:3000]) == (0.0, 2.5, 1)
    assert_as_scipy(same, np.full(4000, 3.5))
    assert_as_scipy(np.full(4000, 3.5), same)


def test_an_empty_side_is_left_to_the_caller() -> None:
    assert narrowed_extremes(np.array([]), np.array([1.0, 2.0])) is None
    assert narrowed_extremes(np.array([1.0, 2.0]), np.array([])) is None


def test_nearly_identical_large_samples_give_up_and_the_engine_still_matches_scipy() -> None:
    # Identical samples: F_ref - F_cur is 0 everywhere, every run stays in doubt, and evaluating
    # everywhere (steps.py) is cheaper: narrowing says so, and KS falls back to it.
    values = np.sort(np.random.default_rng(3).normal(0, 1, 300_000))
    assert narrowed_extremes(values, values.copy()) is None
    outcome = KS.compute(values, values.copy(), ColumnKind.NUMERICAL)
    expected = stats.ks_2samp(values, values)
    assert outcome.statistic == expected.statistic == 0.0
    assert outcome.details["statistic_location"] == expected.statistic_location


@pytest.mark.parametrize("dtype", ["int64", "Int64", "float32"])
def test_through_the_engine_integer_and_narrow_float_columns_with_missing_values(dtype: str) -> None:
    rng = np.random.default_rng(11)
    reference = rng.integers(-500, 500, 60_000)
    current = rng.integers(-480, 520, 45_000)
    ref = pd.Series(reference).astype(dtype)
    cur = pd.Series(current).astype(dtype)
    if dtype != "int64":  # missing values on both sides, dropped before comparing
        ref.iloc[::97] = None
        cur.iloc[::89] = None
    drift = compare_datasets(
        pd.DataFrame({"x": ref}),
        pd.DataFrame({"x": cur}),
        DriftOptions(tests=("ks",), columns={"x": ColumnOptions(kind=ColumnKind.NUMERICAL)}),
    )
    (result,) = drift.results
    expected = stats.ks_2samp(ref.dropna().to_numpy(float), cur.dropna().to_numpy(float))
    assert result.status is Status.OK
    assert result.statistic == expected.statistic
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9)
    assert result.details["statistic_location"] == expected.statistic_location
    assert result.details["statistic_sign"] == expected.statistic_sign


def test_through_the_engine_nan_and_infinities_are_dropped() -> None:
    rng = np.random.default_rng(12)
    reference, current = rng.normal(0, 1, 30_000), rng.normal(0.02, 1, 25_000)
    ref = np.concatenate([reference, [np.nan, np.inf, -np.inf] * 50])
    cur = np.concatenate([[np.nan] * 70, current, [np.inf]])
    (result,) = compare_datasets(
        pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}), DriftOptions(tests=("ks",))
    ).results
    expected = stats.ks_2samp(reference, current)
    assert result.statistic == expected.statistic
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9)
    assert result.details["statistic_location"] == expected.statistic_location
