from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.drift import ColumnKind, ColumnOptions, DriftOptions, Status, compare_datasets, get_test

from .expected import expected_psi
from .strategies import categorical_samples, categories, finite_floats, numeric_samples

NUM = ColumnKind.NUMERICAL

PSI = get_test("psi")


def psi(reference: list, current: list, kind: ColumnKind) -> float:
    dtype = np.float64 if kind is ColumnKind.NUMERICAL else object
    return PSI.compute(np.array(reference, dtype=dtype), np.array(current, dtype=dtype), kind).statistic


def test_psi_by_hand_on_categories() -> None:
    # shares r = (a .5, b .5), c = (a .75, b .25):
    # (.75 - .5) ln(.75/.5) + (.25 - .5) ln(.25/.5) = .25 ln 1.5 + .25 ln 2 = 0.2746530721670274
    value = psi(["a", "a", "b", "b"], ["a", "a", "a", "b"], ColumnKind.CATEGORICAL)
    assert value == pytest.approx(0.25 * math.log(1.5) + 0.25 * math.log(2), abs=1e-9)
    assert value == pytest.approx(0.2746530721670274, abs=1e-9)


def test_psi_by_hand_with_an_empty_bin() -> None:
    # c = (a 1, b 0 -> 1e-4): (1 - .5) ln(1/.5) + (1e-4 - .5) ln(1e-4/.5) = 0.5 ln 2 + 0.4999 ln 5000
    value = psi(["a", "a", "b", "b"], ["a", "a", "a", "a"], ColumnKind.CATEGORICAL)
    assert value == pytest.approx(0.5 * math.log(2) + 0.4999 * math.log(5000), abs=1e-9)


def test_psi_by_hand_on_quantile_bins() -> None:
    # ref 0..19: deciles at 1.9, 3.8, ..., 17.1, so each of the 10 bins holds 2 values (share .1).
    # cur: all 0 -> bin 0 share 1, the other nine 0 -> 1e-4:
    # (1 - .1) ln(1/.1) + 9 (1e-4 - .1) ln(1e-4/.1) = .9 ln 10 + 9 * .0999 ln 1000
    outcome = PSI.compute(np.arange(20.0), np.zeros(20), ColumnKind.NUMERICAL)
    assert outcome.details["reference_counts"] == [2] * 10
    assert outcome.details["current_counts"] == [20] + [0] * 9
    assert outcome.statistic == pytest.approx(0.9 * math.log(10) + 9 * 0.0999 * math.log(1000), abs=1e-9)


def test_values_on_an_edge_fall_in_the_upper_bin_and_outer_bins_are_open() -> None:
    # ref 0..20: deciles exactly 2, 4, ..., 18; v == 2 goes to bin 1 (side="right").
    outcome = PSI.compute(np.arange(21.0), np.array([-1e9, 2.0, 1e9]), ColumnKind.NUMERICAL)
    assert outcome.details["binning"] == "quantile"
    assert outcome.details["edges"] == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    assert outcome.details["reference_counts"] == [2] * 9 + [3]
    assert outcome.details["current_counts"] == [1, 1] + [0] * 7 + [1]  # nothing dropped


def test_tied_quantiles_merge_bins() -> None:
    reference = np.array([0.0] * 50 + list(range(1, 12)))  # most deciles are 0
    outcome = PSI.compute(reference, reference, ColumnKind.NUMERICAL)
    assert len(outcome.details["edges"]) < 9
    assert len(outcome.details["reference_counts"]) == len(outcome.details["edges"]) + 1
    assert outcome.statistic == 0.0


def test_numerical_with_at_most_ten_distinct_reference_values_bins_by_value() -> None:
    outcome = PSI.compute(np.array([1.0, 2.0, 2.0]), np.array([2.0, 3.5]), ColumnKind.NUMERICAL)
    assert outcome.details["binning"] == "distinct"
    assert outcome.details["categories"] == [1.0, 2.0, 3.5]
    assert outcome.details["reference_counts"] == [1, 2, 0]
    assert outcome.details["current_counts"] == [0, 1, 1]


@settings(max_examples=50, deadline=None)
@given(reference=numeric_samples, current=numeric_samples)
def test_numerical_psi_matches_the_formula(reference: list[float], current: list[float]) -> None:
    value = psi(reference, current, ColumnKind.NUMERICAL)
    assert value == pytest.approx(expected_psi(reference, current, numerical=True), abs=1e-9, rel=1e-9)
    assert value >= 0.0


@settings(max_examples=50, deadline=None)
@given(reference=categorical_samples, current=categorical_samples)
def test_categorical_psi_matches_the_formula(reference: list[str], current: list[str]) -> None:
    value = psi(reference, current, ColumnKind.CATEGORICAL)
    assert value == pytest.approx(expected_psi(reference, current, numerical=False), abs=1e-9, rel=1e-9)
    assert value >= 0.0


@settings(max_examples=50, deadline=None)
@given(sample=numeric_samples)
def test_identical_samples_give_psi_zero(sample: list[float]) -> None:
    assert psi(sample, sample, ColumnKind.NUMERICAL) == 0.0
    assert psi(sample[::-1], sample, ColumnKind.NUMERICAL) == 0.0


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_psi_through_the_engine_matches_the_formula(data: st.DataObject) -> None:
    n_ref, n_cur = data.draw(st.integers(100, 140)), data.draw(st.integers(100, 140))
    ref = pd.DataFrame(
        {
            "x": data.draw(st.lists(finite_floats, min_size=n_ref, max_size=n_ref)),
            "c": data.draw(st.lists(categories, min_size=n_ref, max_size=n_ref)),
        }
    )
    cur = pd.DataFrame(
        {
            "x": data.draw(st.lists(finite_floats, min_size=n_cur, max_size=n_cur)),
            "c": data.draw(st.lists(categories, min_size=n_cur, max_size=n_cur)),
        }
    )
    drift = compare_datasets(ref, cur, DriftOptions(tests=("psi",), columns={"x": ColumnOptions(kind=NUM)}))
    by_column = {r.column: r for r in drift.results}
    expected_x = expected_psi(list(ref["x"]), list(cur["x"]), numerical=True)
    assert by_column["x"].status is Status.OK
    assert by_column["x"].statistic == pytest.approx(expected_x, abs=1e-9, rel=1e-9)
    assert by_column["x"].drifted == (expected_x >= 0.2)
    expected_c = expected_psi(list(ref["c"]), list(cur["c"]), numerical=False)
    assert by_column["c"].status is Status.OK
    assert by_column["c"].statistic == pytest.approx(expected_c, abs=1e-9, rel=1e-9)


def test_psi_is_a_distance_on_both_kinds() -> None:
    assert PSI.accepts(ColumnKind.NUMERICAL) and PSI.accepts(ColumnKind.CATEGORICAL)
    assert PSI.default_threshold == 0.2
    outcome = PSI.compute(
        np.array(["a", "b"], dtype=object), np.array(["a", "b"], dtype=object), ColumnKind.CATEGORICAL
    )
    assert outcome.p_value is None
    assert not PSI.is_drifted(outcome, 0.2) and PSI.is_drifted(outcome, 0.0)  # statistic >= threshold
