from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from monitor.drift import ColumnKind, ColumnOptions, DriftOptions, Status, compare_datasets, get_test
from monitor.drift.base import TestOutcome

from .strategies import numeric_samples

KS = get_test("ks")


# scipy warns when its exact p-value fails and it falls back to the asymptotic one; that is its
# documented behaviour, which both sides of this comparison share.
@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")
@settings(max_examples=50, deadline=None)
@given(reference=numeric_samples, current=numeric_samples)
def test_ks_matches_scipy(reference: list[float], current: list[float]) -> None:
    outcome = KS.compute(np.array(reference), np.array(current), ColumnKind.NUMERICAL)
    expected = stats.ks_2samp(reference, current)
    assert outcome.statistic == pytest.approx(expected.statistic, abs=1e-9, rel=1e-9)
    assert outcome.p_value == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9)


@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")
@settings(max_examples=50, deadline=None)
@given(reference=numeric_samples, current=numeric_samples)
def test_ks_through_the_engine_drops_missing_and_matches_scipy(
    reference: list[float], current: list[float]
) -> None:
    # Float columns with NaN and inf sprinkled in; the engine must drop them and compute as scipy does.
    ref = pd.DataFrame({"x": [*reference, np.nan, np.inf]})
    cur = pd.DataFrame({"x": [-np.inf, *current, np.nan]})
    # Forced numerical: a draw of few whole numbers would otherwise (rightly) be judged categorical.
    options = DriftOptions(tests=("ks",), columns={"x": ColumnOptions(kind=ColumnKind.NUMERICAL)})
    (result,) = compare_datasets(ref, cur, options).results
    expected = stats.ks_2samp(reference, current)
    assert result.status is Status.OK
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-9, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9)
    assert result.drifted == (expected.pvalue < 0.05)
    quality = compare_datasets(ref, cur, options).columns[0]
    assert (quality.reference_missing, quality.current_missing) == (2, 2)


@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")
@settings(max_examples=50, deadline=None)
@given(sample=numeric_samples)
def test_identical_samples_give_ks_zero(sample: list[float]) -> None:
    outcome = KS.compute(np.array(sample), np.array(sample), ColumnKind.NUMERICAL)
    assert outcome.statistic == 0.0
    assert outcome.p_value == pytest.approx(1.0)
    assert not KS.is_drifted(outcome, 0.05)


def test_ks_is_a_p_value_test_on_numerical_columns_only() -> None:
    assert KS.accepts(ColumnKind.NUMERICAL)
    assert not KS.accepts(ColumnKind.CATEGORICAL)
    assert KS.default_threshold == 0.05


def test_ks_detects_a_shift_and_reports_sample_sizes() -> None:
    rng = np.random.default_rng(1)
    reference, current = rng.normal(0, 1, 500), rng.normal(0.5, 1, 400)
    outcome = KS.compute(reference, current, ColumnKind.NUMERICAL)
    assert KS.is_drifted(outcome, 0.05)
    assert outcome.details["reference_n"] == 500 and outcome.details["current_n"] == 400


def test_the_engine_keeps_scipy_warnings_with_the_result_instead_of_emitting_them() -> None:
    reference, current = [0.0] * 14, [0.0] * 13 + [1.0]  # exact p-value fails for these in scipy
    drift = compare_datasets(
        pd.DataFrame({"x": reference}),
        pd.DataFrame({"x": current}),
        DriftOptions(tests=("ks",), columns={"x": ColumnOptions(kind=ColumnKind.NUMERICAL)}),
    )
    (result,) = drift.results
    assert result.status is Status.OK
    assert any("ks_2samp" in w for w in result.details["warnings"])


def scipy_and_ours(reference: np.ndarray, current: np.ndarray) -> tuple[Any, TestOutcome]:
    return stats.ks_2samp(reference, current), KS.compute(reference, current, ColumnKind.NUMERICAL)


def assert_same_as_scipy(reference: np.ndarray, current: np.ndarray) -> None:
    expected, outcome = scipy_and_ours(reference, current)
    assert outcome.statistic == pytest.approx(expected.statistic, abs=1e-9, rel=1e-9)
    assert outcome.p_value == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9)
    assert outcome.effect_size == outcome.statistic
    # where the CDFs are furthest apart and which is above: the same point scipy reports
    assert outcome.details["statistic_location"] == expected.statistic_location
    assert outcome.details["statistic_sign"] == expected.statistic_sign


def samples(seed: int, n1: int, n2: int, decimals: int | None, shift: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    reference, current = rng.normal(0, 1, n1), rng.normal(shift, 1, n2)
    if decimals is not None:  # rounding makes ties, within and across the samples
        reference, current = np.round(reference, decimals), np.round(current, decimals)
    return reference, current


@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n1=st.integers(2, 3000),
    n2=st.integers(2, 3000),
    decimals=st.one_of(st.none(), st.integers(0, 2)),
    shift=st.sampled_from([0.0, 0.05, 0.3]),
)
def test_ks_matches_scipy_with_the_exact_p_value(
    seed: int, n1: int, n2: int, decimals: int | None, shift: float
) -> None:
    assert_same_as_scipy(*samples(seed, n1, n2, decimals, shift))


@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(3000, 10_000),
    decimals=st.one_of(st.none(), st.integers(1, 3)),
    shift=st.sampled_from([0.0, 0.02, 0.1]),
)
def test_ks_matches_scipy_on_equal_sizes_up_to_the_exact_limit(
    seed: int, n: int, decimals: int | None, shift: float
) -> None:
    # n1 == n2 takes scipy's other exact routine (paths outside a square).
    assert_same_as_scipy(*samples(seed, n, n, decimals, shift))


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n1=st.integers(10_001, 30_000),
    n2=st.integers(2, 30_000),
    decimals=st.one_of(st.none(), st.integers(1, 3)),
    shift=st.sampled_from([0.0, 0.01, 0.05]),
)
def test_ks_matches_scipy_with_the_asymptotic_p_value(
    seed: int, n1: int, n2: int, decimals: int | None, shift: float
) -> None:
    reference, current = samples(seed, n1, n2, decimals, shift)
    assert_same_as_scipy(reference, current)
    assert KS.compute(reference, current, ColumnKind.NUMERICAL).details["p_value_method"] == "asymp"


def test_ks_by_hand() -> None:
    # ECDFs of [1, 2, 3, 4] and [3, 4, 5, 6] differ most on [2, 3): 2/4 - 0 = 0.5, first reached at
    # x = 2 with the reference above (sign +1); at x = 4 the gap is 4/4 - 2/4 = 0.5 again.
    outcome = KS.compute(np.array([1.0, 2, 3, 4]), np.array([3.0, 4, 5, 6]), ColumnKind.NUMERICAL)
    assert outcome.statistic == 0.5
    assert outcome.details["statistic_location"] == 2.0 and outcome.details["statistic_sign"] == 1
    # exact: of the C(8, 4) = 70 equally likely orderings, D < 1/2 needs |x - y| <= 1 all along the
    # lattice path, i.e. each pair of steps is "xy" or "yx": 2^4 = 16 paths. P(D >= 1/2) = 1 - 16/70.
    assert outcome.p_value == pytest.approx(1 - 16 / 70, abs=1e-12)
