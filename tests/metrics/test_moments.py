"""Merged moments and centred power sums against numpy on the whole data."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

from monitor.metrics.moments import CentredSums, Moments


@pytest.fixture
def pieces() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    # A large mean: the sum of squares minus the squared sum over n would keep 4 digits of the 16.
    values = 1e6 + rng.normal(0, 1, 5000)
    return np.split(values, [0, 3, 3, 1000, 4990])


def test_merged_moments_are_numpys(pieces: list[np.ndarray]) -> None:
    values = np.concatenate(pieces)
    merged = reduce(Moments.merge, map(Moments.of, pieces))
    assert merged.n == len(values)
    assert merged.mean == pytest.approx(np.mean(values), rel=1e-15)
    assert merged.sd == pytest.approx(np.std(values, ddof=1), rel=1e-9)
    backwards = reduce(Moments.merge, map(Moments.of, reversed(pieces)))
    assert backwards.sd == pytest.approx(merged.sd, rel=1e-9)
    assert Moments().merge(merged) == merged == merged.merge(Moments())


def test_merged_centred_sums_are_the_sums_about_the_mean(pieces: list[np.ndarray]) -> None:
    rng = np.random.default_rng(2)
    weights = [rng.random(len(p)) for p in pieces]
    merged = reduce(CentredSums.merge, map(CentredSums.of, pieces, weights))
    x, w = np.concatenate(pieces), np.concatenate(weights)
    d = x - np.mean(x)
    assert merged.centre == pytest.approx(np.mean(x), rel=1e-15)
    assert merged.n == len(x)
    # Odd sums cancel: compare to the size of their terms (the mean itself is known to 1e-10 here).
    for k in (2, 3, 4):
        assert merged.plain[k] == pytest.approx(np.sum(d**k), abs=1e-9 * np.sum(np.abs(d) ** k))
    for k in (0, 1, 2):
        assert merged.weighted[k] == pytest.approx(np.sum(w * d**k), abs=1e-9 * np.sum(w * np.abs(d) ** k))
