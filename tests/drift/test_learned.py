"""`learned` thresholds: mean + k std of the reference's chunks compared with the whole (as NannyML)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitor.drift import (
    ColumnOptions,
    DriftOptions,
    LearnedOptions,
    Status,
    build_profile,
    compare_datasets,
)

from .expected import expected_psi

RNG = np.random.default_rng(21)
REFERENCE = pd.DataFrame(
    {"x": RNG.normal(0, 1, 4000), "c": RNG.choice(["a", "b", "c"], 4000, p=[0.5, 0.3, 0.2])}
)


def chunks(values: np.ndarray, k: int) -> list[np.ndarray]:
    n = len(values)
    return [values[i * n // k : (i + 1) * n // k] for i in range(k)]


def test_a_learned_psi_threshold_is_mean_plus_three_std_of_chunk_psi() -> None:
    x = REFERENCE["x"].to_numpy()
    chunk_psi = [expected_psi(list(x), list(chunk), numerical=True) for chunk in chunks(x, 10)]
    expected = np.mean(chunk_psi) + 3 * np.std(chunk_psi)
    options = DriftOptions(tests=("psi",), thresholds={"psi": "learned"})
    learned = build_profile(REFERENCE, options).columns["x"].learned["psi"]
    assert learned.value == pytest.approx(expected, abs=1e-9, rel=1e-9)
    assert learned.chunk_values == pytest.approx(chunk_psi, abs=1e-9, rel=1e-9)
    # and a window is judged against it
    shifted = pd.DataFrame({"x": RNG.normal(0.3, 1, 400), "c": RNG.choice(["a", "b"], 400)})
    (x_result,) = [r for r in compare_datasets(REFERENCE, shifted, options).results if r.column == "x"]
    assert x_result.threshold == pytest.approx(expected, abs=1e-9)
    assert x_result.details["threshold_source"] == "learned"
    assert x_result.statistic is not None
    assert x_result.drifted == (x_result.statistic >= expected)


def test_a_p_value_test_learns_on_its_effect_size() -> None:
    x = REFERENCE["x"].to_numpy()
    d = [stats.ks_2samp(x, chunk).statistic for chunk in chunks(x, 8)]
    expected = np.mean(d) + 2 * np.std(d)
    options = DriftOptions(
        tests=("ks", "chi2"),
        thresholds={"ks": "learned"},
        columns={"c": ColumnOptions(thresholds={"chi2": "learned"})},
        learned=LearnedOptions(chunks=8, std_multiplier=2.0),
    )
    profile = build_profile(REFERENCE, options)
    assert profile.columns["x"].learned["ks"].value == pytest.approx(expected, abs=1e-9, rel=1e-9)
    c = REFERENCE["c"].to_numpy()
    levels = ["a", "b", "c"]
    cramer = []
    for chunk in chunks(c, 8):
        table = np.array([[np.sum(c == k) for k in levels], [np.sum(chunk == k) for k in levels]])
        cramer.append(math.sqrt(stats.chi2_contingency(table, correction=False).statistic / table.sum()))
    assert profile.columns["c"].learned["chi2"].value == pytest.approx(
        np.mean(cramer) + 2 * np.std(cramer), abs=1e-9, rel=1e-9
    )
    # judged on the effect size, not the p-value
    current = pd.DataFrame({"x": RNG.normal(0, 1, 500), "c": RNG.choice(["a", "b", "c"], 500)})
    by = {r.column: r for r in compare_datasets(profile, current, options).results}
    x_statistic, c_effect = by["x"].statistic, by["c"].effect_size
    c_learned = profile.columns["c"].learned["chi2"].value
    assert x_statistic is not None and c_effect is not None and c_learned is not None
    assert by["x"].drifted == (x_statistic >= expected)
    assert by["c"].drifted == (c_effect >= c_learned)


def test_a_reference_too_small_to_learn_from_is_insufficient_data_and_others_are_judged() -> None:
    ref = pd.DataFrame({"x": RNG.normal(0, 1, 500), "y": RNG.normal(0, 1, 500)})
    options = DriftOptions(tests=("psi",), columns={"x": ColumnOptions(thresholds={"psi": "learned"})})
    drift = compare_datasets(ref, ref.copy(), options)
    by = {r.column: r for r in drift.results}
    assert by["x"].status is Status.INSUFFICIENT_DATA
    assert "chunk 1 of 10 has 50 values, fewer than the 100 psi needs" in by["x"].details["reason"]
    assert by["y"].status is Status.OK and by["y"].threshold == 0.2


def test_evidently_tests_cannot_learn() -> None:
    with pytest.raises(ValueError, match="cannot have a learned threshold"):
        compare_datasets(REFERENCE, REFERENCE, DriftOptions(thresholds={"evidently:ks": "learned"}))
