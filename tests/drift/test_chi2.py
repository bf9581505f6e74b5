from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from scipy import stats

from monitor.drift import ColumnKind, DriftOptions, Status, compare_datasets, get_test

from .strategies import categorical_samples

CHI2 = get_test("chi2")


def expected_chi2(reference: list[str], current: list[str]) -> tuple[float, float]:
    """The spec's definition, written independently: 2 x k table over the sorted union of categories."""
    union = sorted(set(reference) | set(current))
    table = [[reference.count(c) for c in union], [current.count(c) for c in union]]
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue)


def labels(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=object)


@settings(max_examples=50, deadline=None)
@given(reference=categorical_samples, current=categorical_samples)
def test_chi2_matches_scipy_including_new_categories(reference: list[str], current: list[str]) -> None:
    outcome = CHI2.compute(labels(reference), labels(current), ColumnKind.CATEGORICAL)
    statistic, p_value = expected_chi2(reference, current)
    assert outcome.statistic == pytest.approx(statistic, abs=1e-9, rel=1e-9)
    assert outcome.p_value == pytest.approx(p_value, abs=1e-9, rel=1e-9)


@settings(max_examples=50, deadline=None)
@given(reference=categorical_samples, current=categorical_samples)
def test_chi2_through_the_engine_matches_scipy(reference: list[str], current: list[str]) -> None:
    ref = pd.Series([*reference, None], dtype=object)
    cur = pd.Series([np.nan, *current], dtype="str")
    drift = compare_datasets(
        pd.DataFrame({"c": ref}), pd.DataFrame({"c": cur}), DriftOptions(tests=("chi2",))
    )
    (result,) = drift.results
    statistic, p_value = expected_chi2(reference, current)
    assert result.status is Status.OK
    assert result.statistic == pytest.approx(statistic, abs=1e-9, rel=1e-9)
    assert result.p_value == pytest.approx(p_value, abs=1e-9, rel=1e-9)
    assert drift.columns[0].new_categories == tuple(sorted(set(current) - set(reference)))


def test_chi2_details_list_categories_and_counts_of_both_sides() -> None:
    outcome = CHI2.compute(labels(["a", "a", "b"]), labels(["b", "c", "c", "c"]), ColumnKind.CATEGORICAL)
    assert outcome.details["categories"] == ["a", "b", "c"]
    assert outcome.details["reference_counts"] == [2, 1, 0]
    assert outcome.details["current_counts"] == [0, 1, 3]
    json.dumps(outcome.details)  # the dashboard charts these


def test_chi2_on_a_single_shared_category_is_no_drift() -> None:
    outcome = CHI2.compute(labels(["a"] * 5), labels(["a"] * 3), ColumnKind.CATEGORICAL)
    assert (outcome.statistic, outcome.p_value) == (0.0, 1.0)
    assert not CHI2.is_drifted(outcome, 0.05)


def test_chi2_applies_to_categorical_columns_only() -> None:
    assert CHI2.accepts(ColumnKind.CATEGORICAL) and not CHI2.accepts(ColumnKind.NUMERICAL)


@settings(max_examples=60, deadline=None)
@given(reference=categorical_samples, current=categorical_samples)
def test_the_effect_size_is_cramers_v_as_scipy_computes_it(reference: list[str], current: list[str]) -> None:
    outcome = CHI2.compute(labels(reference), labels(current), ColumnKind.CATEGORICAL)
    union = sorted(set(reference) | set(current))
    if len(union) < 2:
        assert outcome.effect_size == 0.0  # one category on both sides: nothing moved
        return
    table = np.array([[reference.count(c) for c in union], [current.count(c) for c in union]])
    expected = stats.contingency.association(table, method="cramer", correction=False)
    assert outcome.effect_size == pytest.approx(expected, abs=1e-9, rel=1e-9)
    assert outcome.details["effect_size_name"] == "cramers_v"
