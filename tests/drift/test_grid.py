"""KS merged exactly from pieces counted on the reference's values (grid.py) is scipy's ks_2samp bit for bit:
statistic, p-value, location and sign; Wasserstein from the same counts is scipy's within its bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from monitor.drift import get_test
from monitor.drift.pair import ColumnPair

from .pieces import finite, merged_pieces, reference_summary
from .strategies import finite_floats, numeric_samples, tied_floats

KS = get_test("ks")
WASSERSTEIN = get_test("wasserstein")
# Current values as they arrive: finite, tied, whole numbers, missing and infinite ones among them.
current_values = st.lists(
    st.one_of(finite_floats, tied_floats, st.just(math.nan), st.just(math.inf), st.just(-math.inf)),
    max_size=150,
)


def test_a_grid_written_out_by_hand() -> None:
    # Reference points 1, 2, 3: intervals (-inf, 1), [1, 2), [2, 3), [3, inf).
    reference = reference_summary([1.0, 2.0, 2.0, 3.0])
    merged = merged_pieces(reference, [0.5, 2.0, 2.5, math.nan, 3.0, 4.0, 2.25], [3])
    assert merged.grid is not None
    assert merged.grid.below.tolist() == [1, 1, 4]  # values < 1, < 2, < 3
    assert merged.grid.at.tolist() == [0, 1, 1]  # values == 1, == 2, == 3
    assert merged.grid.largest.tolist() == [0.5, -math.inf, 2.5, 4.0]
    # Distances to each interval's far end: 1 - 0.5; none; (3-2) + (3-2.5) + (3-2.25); (3-3) + (4-3).
    assert merged.grid.tails.tolist() == [0.5, 0.0, 2.25, 1.0]
    assert (merged.rows, merged.missing, merged.count) == (7, 1, 6)


@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")
@settings(max_examples=80, deadline=None)
@given(reference=numeric_samples, current=current_values, cuts=st.lists(st.integers(0, 150), max_size=4))
def test_ks_from_merged_pieces_is_scipys_bit_for_bit(
    reference: list[float], current: list[float], cuts: list[int]
) -> None:
    merged = merged_pieces(reference_summary(reference), current, cuts)
    if merged.count < 2:
        return  # the engine does not judge fewer than 2 values (judging.py)
    outcome = KS.compare(ColumnPair(reference_summary(reference), merged), 0.05)
    expected = stats.ks_2samp(reference, finite(current))
    assert outcome.statistic == expected.statistic
    assert outcome.p_value == expected.pvalue
    assert outcome.details["statistic_location"] == expected.statistic_location
    assert outcome.details["statistic_sign"] == expected.statistic_sign
    assert outcome.details["computed_from"] == "exact_merge"
    assert outcome.details["error_bound"] == 0.0


@settings(max_examples=80, deadline=None)
@given(reference=numeric_samples, current=current_values, cuts=st.lists(st.integers(0, 150), max_size=4))
def test_wasserstein_from_merged_pieces_is_scipys_within_its_bound(
    reference: list[float], current: list[float], cuts: list[int]
) -> None:
    ref = reference_summary(reference)
    merged = merged_pieces(ref, current, cuts)
    if merged.count < 2 or ref.std == 0:
        return
    outcome = WASSERSTEIN.compare(ColumnPair(ref, merged), 0.1)
    expected = stats.wasserstein_distance(reference, finite(current))
    bound = outcome.details["error_bound"] * ref.std
    assert abs(outcome.details["wasserstein_distance"] - expected) <= bound + 1e-9 * max(1.0, expected)
    assert outcome.statistic == pytest.approx(
        outcome.details["wasserstein_distance"] / np.std(reference), rel=1e-12
    )


def test_wasserstein_is_exact_when_the_current_values_are_among_the_references() -> None:
    # Whole numbers on both sides: no current value lies strictly between two reference values, so
    # the CDFs cannot cross inside an interval and the bound is 0.
    rng = np.random.default_rng(4)
    reference = rng.integers(0, 50, 3000).astype(float)
    current = rng.integers(5, 60, 5000).astype(float)
    ref = reference_summary(reference)
    outcome = WASSERSTEIN.compare(ColumnPair(ref, merged_pieces(ref, current, [1000, 2500])), 0.1)
    assert outcome.details["error_bound"] == 0.0
    expected = stats.wasserstein_distance(reference, current)
    assert outcome.details["wasserstein_distance"] == pytest.approx(expected, rel=1e-12)


def test_the_bound_of_a_continuous_window_is_small_and_holds() -> None:
    rng = np.random.default_rng(8)
    reference, current = rng.normal(0, 1, 20_000), rng.normal(0.05, 1.1, 50_000)
    ref = reference_summary(reference)
    outcome = WASSERSTEIN.compare(ColumnPair(ref, merged_pieces(ref, current, [10_000, 30_000])), 0.1)
    expected = stats.wasserstein_distance(reference, current) / np.std(reference)
    assert 0 < outcome.details["error_bound"] < 0.01 * expected
    assert abs(outcome.statistic - expected) <= outcome.details["error_bound"]
