from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from scipy.spatial import distance

from monitor.drift import ColumnKind, get_test

from .expected import expected_bins, expected_jensenshannon
from .strategies import categorical_samples, numeric_samples

JS = get_test("jensenshannon")


@settings(max_examples=60, deadline=None)
@given(reference=numeric_samples, current=numeric_samples)
def test_numerical_jensenshannon_on_psi_bins_matches_the_formula(
    reference: list[float], current: list[float]
) -> None:
    outcome = JS.compute(np.array(reference), np.array(current), ColumnKind.NUMERICAL)
    assert outcome.statistic == pytest.approx(
        expected_jensenshannon(reference, current, numerical=True), abs=1e-9, rel=1e-9
    )
    # and scipy agrees on the same bins
    ref_counts, cur_counts = expected_bins(reference, current, numerical=True)
    assert outcome.statistic == pytest.approx(distance.jensenshannon(ref_counts, cur_counts), abs=1e-9)
    assert 0.0 <= outcome.statistic <= math.sqrt(math.log(2)) + 1e-12


@settings(max_examples=60, deadline=None)
@given(reference=categorical_samples, current=categorical_samples)
def test_categorical_jensenshannon_matches_the_formula(reference: list[str], current: list[str]) -> None:
    outcome = JS.compute(
        np.array(reference, dtype=object), np.array(current, dtype=object), ColumnKind.CATEGORICAL
    )
    assert outcome.statistic == pytest.approx(
        expected_jensenshannon(reference, current, numerical=False), abs=1e-9, rel=1e-9
    )


def test_by_hand_disjoint_categories_give_sqrt_ln2() -> None:
    # p = (1, 0), q = (0, 1), m = (1/2, 1/2): KL(p||m) = ln 2 = KL(q||m), so JS = sqrt(ln 2)
    outcome = JS.compute(
        np.array(["a", "a"], dtype=object), np.array(["b", "b"], dtype=object), ColumnKind.CATEGORICAL
    )
    assert outcome.statistic == pytest.approx(math.sqrt(math.log(2)), abs=1e-12)
    assert JS.is_drifted(outcome, 0.1) and JS.default_threshold == 0.1


@settings(max_examples=30, deadline=None)
@given(sample=numeric_samples)
def test_identical_samples_give_zero(sample: list[float]) -> None:
    assert JS.compute(np.array(sample), np.array(sample[::-1]), ColumnKind.NUMERICAL).statistic == 0.0
