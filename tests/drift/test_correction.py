"""Benjamini-Hochberg across columns, checked against statsmodels' independent implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from monitor.drift import CONTRACT_TESTS, ColumnOptions, DriftOptions, Status, compare_datasets
from monitor.drift.correction import benjamini_hochberg, benjamini_yekutieli

p_values = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=60)


@settings(max_examples=100, deadline=None)
@given(p=p_values)
def test_adjusted_p_values_match_statsmodels(p: list[float]) -> None:
    _, expected, _, _ = multipletests(p, alpha=0.05, method="fdr_bh")
    assert benjamini_hochberg(p) == pytest.approx(expected, abs=1e-12)


def frames(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 400
    shifts = [0.0] * 12 + [0.12, 0.15, 0.2, 0.5]  # a few real shifts among many unchanged columns
    ref = {f"x{i}": rng.normal(0, 1, n) for i in range(len(shifts))}
    cur = {f"x{i}": rng.normal(s, 1, n) for i, s in enumerate(shifts)}
    ref["c"] = rng.choice(["a", "b", "c"], n)
    cur["c"] = rng.choice(["a", "b", "c"], n, p=[0.4, 0.3, 0.3])
    return pd.DataFrame(ref), pd.DataFrame(cur)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_engine_judges_p_value_tests_on_bh_adjusted_p_values(seed: int) -> None:
    ref, cur = frames(seed)
    plain = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    corrected = compare_datasets(
        ref, cur, DriftOptions(tests=CONTRACT_TESTS, correction="benjamini-hochberg")
    )
    family = [r for r in plain.results if r.test in ("ks", "chi2") and r.status is Status.OK]
    reject, adjusted, _, _ = multipletests([r.p_value for r in family], alpha=0.05, method="fdr_bh")
    by = {(r.column, r.test): r for r in corrected.results}
    for r, rejected, p_adj in zip(family, reject, adjusted, strict=True):
        mine = by[r.column, r.test]
        assert mine.p_value == r.p_value  # the raw p-value is kept
        assert mine.details["p_value_adjusted"] == pytest.approx(p_adj, abs=1e-12)
        assert mine.drifted == bool(rejected)
    for r in corrected.results:  # PSI is a distance: untouched by the correction
        if r.test == "psi":
            assert "p_value_adjusted" not in r.details
    # fewer or as many drifted columns, never more
    assert set(corrected.drifted_columns) <= set(plain.drifted_columns)


@settings(max_examples=100, deadline=None)
@given(p=p_values)
def test_benjamini_yekutieli_matches_statsmodels(p: list[float]) -> None:
    _, expected, _, _ = multipletests(p, alpha=0.05, method="fdr_by")
    assert benjamini_yekutieli(p) == pytest.approx(expected, abs=1e-12)


def test_auto_adjusts_its_own_choices_under_benjamini_yekutieli_and_nothing_else() -> None:
    ref, cur = frames(4)
    options = DriftOptions(tests=("auto", "psi"), columns={"x15": ColumnOptions(tests=("ks",))})
    drift = compare_datasets(ref, cur, options)
    family = [r for r in drift.results if "p_value_adjusted" in r.details]
    assert {r.test for r in family} == {"ks", "chi2_levels"} and "x15" not in {r.column for r in family}
    calibrated = [r.details["p_value_calibrated"] for r in family]
    reject, adjusted, _, _ = multipletests(calibrated, alpha=0.05, method="fdr_by")
    for r, rejected, p_adj in zip(family, reject, adjusted, strict=True):
        assert r.details["correction"] == "benjamini-yekutieli"
        assert r.details["tests_in_family"] == len(family) == 16
        assert r.details["p_value_adjusted"] == pytest.approx(p_adj, abs=1e-12)
        assert r.drifted == bool(rejected)
    named = next(r for r in drift.results if r.column == "x15")  # named for its column: its own level
    assert named.drifted == (named.p_value is not None and named.p_value < 0.05)
    assert "x15" in drift.drifted_columns  # a 0.5 std shift in 400 rows


def test_a_configured_threshold_keeps_the_plain_per_test_judgement() -> None:
    ref, cur = frames(5)
    drift = compare_datasets(ref, cur, DriftOptions(thresholds={"ks": 0.05}))
    for r in drift.results:
        if r.test == "ks":
            assert "p_value_adjusted" not in r.details and r.details["threshold_source"] == "configured"
            assert r.drifted == (r.p_value is not None and r.p_value < 0.05)
        else:
            assert "p_value_adjusted" in r.details  # chi2_levels keeps its default: still corrected


def test_correction_none_judges_auto_on_its_calibrated_p_value_alone() -> None:
    ref, cur = frames(6)
    drift = compare_datasets(ref, cur, DriftOptions(correction="none"))
    for r in drift.results:
        assert "p_value_adjusted" not in r.details
        assert r.drifted == (r.details["p_value_calibrated"] < r.threshold)
