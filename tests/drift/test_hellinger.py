from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from monitor.drift import ColumnKind, get_test

from .expected import expected_hellinger
from .strategies import categorical_samples, numeric_samples

H = get_test("hellinger")


@settings(max_examples=60, deadline=None)
@given(reference=numeric_samples, current=numeric_samples)
def test_numerical_hellinger_on_psi_bins_matches_the_formula(
    reference: list[float], current: list[float]
) -> None:
    outcome = H.compute(np.array(reference), np.array(current), ColumnKind.NUMERICAL)
    assert outcome.statistic == pytest.approx(
        expected_hellinger(reference, current, numerical=True), abs=1e-9, rel=1e-9
    )
    assert 0.0 <= outcome.statistic <= 1.0 + 1e-12


@settings(max_examples=60, deadline=None)
@given(reference=categorical_samples, current=categorical_samples)
def test_categorical_hellinger_matches_the_formula(reference: list[str], current: list[str]) -> None:
    outcome = H.compute(
        np.array(reference, dtype=object), np.array(current, dtype=object), ColumnKind.CATEGORICAL
    )
    assert outcome.statistic == pytest.approx(
        expected_hellinger(reference, current, numerical=False), abs=1e-9, rel=1e-9
    )


def test_by_hand() -> None:
    # p = (1/2, 1/2), q = (1, 0): (sqrt(1/2) - 1)^2 + (sqrt(1/2))^2 = 2 - sqrt 2, halved, square-rooted
    outcome = H.compute(
        np.array(["a", "b"], dtype=object), np.array(["a", "a"], dtype=object), ColumnKind.CATEGORICAL
    )
    assert outcome.statistic == pytest.approx(math.sqrt((2 - math.sqrt(2)) / 2), abs=1e-12)
    assert H.default_threshold == 0.1 and H.is_drifted(outcome, 0.1)


@settings(max_examples=30, deadline=None)
@given(sample=categorical_samples)
def test_identical_samples_give_zero(sample: list[str]) -> None:
    values = np.array(sample, dtype=object)
    assert H.compute(values, values[::-1], ColumnKind.CATEGORICAL).statistic == 0.0
