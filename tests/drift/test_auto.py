"""`tests: auto`: tiny shifts in huge windows are not drift, real shifts in modest windows are."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitor.drift import ColumnOptions, DatasetDrift, DriftOptions, Status, TestResult, compare_datasets
from monitor.drift.auto import effective_size, jensenshannon_noise, wasserstein_noise

AUTO = DriftOptions()  # `auto` is the default


def only(drift: DatasetDrift, column: str) -> TestResult:
    (result,) = [r for r in drift.results if r.column == column]
    return result


def test_auto_is_the_default() -> None:
    assert AUTO.tests == ("auto",)


def test_a_shift_of_a_hundredth_std_in_500k_rows_is_not_drift() -> None:
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 500_000)})
    cur = pd.DataFrame({"x": rng.normal(0.01, 1, 500_000)})
    # KS alone would call this drift: with this many rows even 0.01 std is "significant".
    assert stats.ks_2samp(ref["x"], cur["x"]).pvalue < 0.05
    result = only(compare_datasets(ref, cur, AUTO), "x")
    assert result.test == "wasserstein" and result.status is Status.OK
    assert result.statistic == pytest.approx(0.01, abs=0.005)
    assert not result.drifted
    assert "auto: wasserstein" in result.details["chosen_by"]


def test_a_shift_of_half_a_std_in_5000_rows_is_drift() -> None:
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 5_000)})
    cur = pd.DataFrame({"x": rng.normal(0.5, 1, 5_000)})
    result = only(compare_datasets(ref, cur, AUTO), "x")
    assert result.status is Status.OK and result.drifted
    assert result.test == "wasserstein"  # n_eff = 2500 >= (3.7 / 0.1)^2 = 1369
    assert result.statistic == pytest.approx(0.5, abs=0.05)


def test_a_shift_of_half_a_std_in_500_rows_is_drift_by_ks() -> None:
    rng = np.random.default_rng(3)
    ref, cur = pd.DataFrame({"x": rng.normal(0, 1, 500)}), pd.DataFrame({"x": rng.normal(0.5, 1, 500)})
    result = only(compare_datasets(ref, cur, AUTO), "x")
    assert result.test == "ks" and result.drifted
    assert result.effect_size == result.statistic  # the KS statistic is the effect size shown


def test_categories_a_one_point_share_shift_in_500k_rows_is_not_drift_but_a_big_one_in_5000_is() -> None:
    rng = np.random.default_rng(4)
    levels = [f"c{i}" for i in range(20)]
    base = np.full(20, 1 / 20)
    nudged = base.copy()
    nudged[0], nudged[1] = base[0] + 0.01, base[1] - 0.01
    ref = pd.DataFrame({"c": rng.choice(levels, 500_000, p=base)})
    cur = pd.DataFrame({"c": rng.choice(levels, 500_000, p=nudged)})
    table = [ref["c"].value_counts().reindex(levels), cur["c"].value_counts().reindex(levels)]
    assert stats.chi2_contingency(table, correction=False).pvalue < 0.05  # chi2 alone: "drift"
    quiet = only(compare_datasets(ref, cur, AUTO), "c")
    assert quiet.test == "jensenshannon" and not quiet.drifted
    moved = base.copy()
    moved[:5], moved[5:10] = base[:5] + 0.04, base[5:10] - 0.04
    small_ref = pd.DataFrame({"c": rng.choice(levels, 5_000, p=base)})
    small_cur = pd.DataFrame({"c": rng.choice(levels, 5_000, p=moved)})
    loud = only(compare_datasets(small_ref, small_cur, AUTO), "c")
    # n_eff 2500 is too few for Jensen-Shannon against auto's 0.035 with 20 categories: chi-square
    assert loud.test == "chi2_levels" and loud.drifted


def test_tiny_samples_never_get_a_distance() -> None:
    rng = np.random.default_rng(8)
    ref, cur = pd.DataFrame({"c": rng.choice(["a", "b"], 50)}), pd.DataFrame({"c": rng.choice(["a"], 50)})
    result = only(compare_datasets(ref, cur, DriftOptions(thresholds={"jensenshannon": 0.9})), "c")
    assert result.test == "chi2" and "fewer than the 100 a distance needs" in result.details["chosen_by"]


def test_small_categorical_samples_get_chi2_levels_with_cramers_v() -> None:
    ref = pd.DataFrame({"c": ["a", "b"] * 50 + ["c"] * 10})
    cur = pd.DataFrame({"c": ["a"] * 80 + ["b"] * 30})
    result = only(compare_datasets(ref, cur, AUTO), "c")
    assert result.test == "chi2_levels" and "too few for jensenshannon" in result.details["chosen_by"]
    assert result.details["p_value_method"] == "asymptotic"  # expected counts of 5 and more
    table = np.array([[50, 50, 10], [80, 30, 0]])
    chi2 = stats.chi2_contingency(table, correction=False).statistic
    assert result.effect_size == pytest.approx(math.sqrt(chi2 / table.sum()), abs=1e-12)
    assert result.effect_size == pytest.approx(
        stats.contingency.association(table, method="cramer"), abs=1e-9
    )


def test_a_constant_reference_gets_ks() -> None:
    rng = np.random.default_rng(5)
    ref, cur = pd.DataFrame({"x": [1.5] * 5000}), pd.DataFrame({"x": rng.normal(1.5, 1, 5000)})
    result = only(compare_datasets(ref, cur, AUTO), "x")
    assert result.test == "ks" and "constant" in result.details["chosen_by"] and result.drifted


def test_the_switch_point_follows_the_rule_and_the_threshold() -> None:
    assert effective_size(2738, 2738) == 1369
    assert wasserstein_noise(1369) == pytest.approx(0.1)
    # 20 categories: chi-square 99.9% quantile with 19 dof is 43.82; sqrt(43.82 / (8 n)) <= 0.1
    assert jensenshannon_noise(548, 20) == pytest.approx(0.1, abs=1e-3)
    rng = np.random.default_rng(6)
    ref, cur = pd.DataFrame({"x": rng.normal(0, 1, 2000)}), pd.DataFrame({"x": rng.normal(0, 1, 2000)})
    assert only(compare_datasets(ref, cur, AUTO), "x").test == "ks"  # n_eff 1000 < 1369
    looser = DriftOptions(thresholds={"wasserstein": 0.2})  # noise 0.117 <= 0.2
    switched = only(compare_datasets(ref, cur, looser), "x")
    assert switched.test == "wasserstein" and switched.threshold == 0.2


def test_auto_beside_explicit_tests_and_per_column() -> None:
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 300), "y": rng.normal(0, 1, 300)})
    cur = pd.DataFrame({"x": rng.normal(0, 1, 300), "y": rng.normal(0, 1, 300)})
    options = DriftOptions(tests=("auto", "psi", "ks"), columns={"y": ColumnOptions(tests=("hellinger",))})
    drift = compare_datasets(ref, cur, options)
    assert [(r.column, r.test) for r in drift.results] == [("x", "ks"), ("x", "psi"), ("y", "hellinger")]


def test_auto_is_not_a_threshold_name() -> None:
    frame = pd.DataFrame({"x": np.arange(10.0)})
    with pytest.raises(ValueError, match="unknown drift test"):
        compare_datasets(frame, frame, DriftOptions(thresholds={"auto": 0.1}))
