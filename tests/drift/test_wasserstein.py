from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from monitor.drift import ColumnKind, ColumnOptions, DriftOptions, Status, compare_datasets, get_test

from .strategies import numeric_samples

W = get_test("wasserstein")
NUM = ColumnKind.NUMERICAL


def expected(reference: list[float], current: list[float]) -> float:
    return float(stats.wasserstein_distance(reference, current) / np.std(reference))


@settings(max_examples=60, deadline=None)
@given(reference=numeric_samples, current=numeric_samples)
def test_wasserstein_matches_scipy_divided_by_the_reference_std(
    reference: list[float], current: list[float]
) -> None:
    if np.std(reference) == 0:
        return  # no unit to normalise by: its own test below
    outcome = W.compute(np.array(reference), np.array(current), NUM)
    assert outcome.statistic == pytest.approx(expected(reference, current), abs=1e-9, rel=1e-9)
    assert outcome.details["wasserstein_distance"] == pytest.approx(
        stats.wasserstein_distance(reference, current), abs=1e-9, rel=1e-9
    )
    assert outcome.statistic >= 0.0 and outcome.effect_size == outcome.statistic


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n1=st.integers(100, 20_000), n2=st.integers(100, 20_000))
def test_wasserstein_matches_scipy_on_large_samples_with_ties(seed: int, n1: int, n2: int) -> None:
    rng = np.random.default_rng(seed)
    reference, current = np.round(rng.gamma(2, 1, n1), 1), np.round(rng.gamma(2.2, 1, n2), 2)
    outcome = W.compute(reference, current, NUM)
    assert outcome.statistic == pytest.approx(
        stats.wasserstein_distance(reference, current) / np.std(reference), abs=1e-9, rel=1e-9
    )


@settings(max_examples=40, deadline=None)
@given(sample=numeric_samples)
def test_identical_samples_give_zero(sample: list[float]) -> None:
    if np.std(sample) > 0:
        assert W.compute(np.array(sample), np.array(sample[::-1]), NUM).statistic == 0.0


def test_by_hand_a_shift_of_one_is_one_over_the_std() -> None:
    # every value moves by 1: W1 = 1; std of [0, 1, 2, 3] = sqrt(1.25)
    outcome = W.compute(np.array([0.0, 1, 2, 3]), np.array([1.0, 2, 3, 4]), NUM)
    assert outcome.statistic == pytest.approx(1 / np.sqrt(1.25), abs=1e-12)
    assert W.is_drifted(outcome, 0.1) and W.default_threshold == 0.1


def test_a_constant_reference_has_no_unit_and_is_reported_as_constant() -> None:
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"k": [2.0] * 300, "good": rng.normal(0, 1, 300)})
    cur = pd.DataFrame({"k": rng.normal(2, 1, 300), "good": rng.normal(0, 1, 300)})
    options = DriftOptions(tests=("wasserstein", "ks"), columns={"k": ColumnOptions(kind=NUM)})
    drift = compare_datasets(ref, cur, options)
    by = {(r.column, r.test): r for r in drift.results}
    assert by["k", "wasserstein"].status is Status.CONSTANT and not by["k", "wasserstein"].drifted
    assert "constant" in by["k", "wasserstein"].details["reason"]
    assert by["k", "ks"].status is Status.OK and by["k", "ks"].drifted  # still judged by KS
    assert by["good", "wasserstein"].status is Status.OK
