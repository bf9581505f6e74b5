"""KS and Wasserstein from a merged KLL sketch of the current side (sketch.py): within the error bound each
result reports of scipy's values computed on all the values; exact while the sketch holds every value."""

from __future__ import annotations

import numpy as np
import pytest
from datasketches import kll_doubles_sketch
from scipy import stats

from monitor.drift import get_test
from monitor.drift.pair import ColumnPair

from .pieces import merged_pieces, reference_summary

KS = get_test("ks")
WASSERSTEIN = get_test("wasserstein")
# A small k makes the sketch approximate on small samples (and keeps the tests fast); an exact
# limit below the reference's distinct values makes the summary sketch rather than merge exactly.
SMALL_K = 64
SKETCHED = {"exact_limit": 100, "sketch_k": SMALL_K}


@pytest.mark.parametrize("seed", range(6))
def test_ks_from_a_sketch_is_within_its_bound_of_scipys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    reference = rng.normal(0, 1, 4000)
    current = np.concatenate([rng.normal(0.1 * seed, 1, 6000), rng.integers(0, 3, 2000).astype(float)])
    ref = reference_summary(reference)
    merged = merged_pieces(ref, current, [3000, 3000, 7000], **SKETCHED)
    outcome = KS.compare(ColumnPair(ref, merged), 0.05)
    expected = stats.ks_2samp(reference, current)
    bound = outcome.details["error_bound"]
    assert outcome.details["computed_from"] == "kll_sketch"
    assert bound == kll_doubles_sketch.get_normalized_rank_error(SMALL_K, False)
    assert abs(outcome.statistic - expected.statistic) <= bound
    low, high = outcome.details["p_value_bounds"]
    assert low <= expected.pvalue <= high


@pytest.mark.parametrize("seed", range(6))
def test_wasserstein_from_a_sketch_is_within_its_bound_of_scipys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    reference = rng.lognormal(0, 1, 4000)
    current = rng.lognormal(0.05 * seed, 1, 9000)
    ref = reference_summary(reference)
    merged = merged_pieces(ref, current, [2000, 5000], **SKETCHED)
    outcome = WASSERSTEIN.compare(ColumnPair(ref, merged), 0.1)
    expected = stats.wasserstein_distance(reference, current) / np.std(reference)
    rank_error = kll_doubles_sketch.get_normalized_rank_error(SMALL_K, False)
    assert outcome.details["computed_from"] == "kll_sketch"
    assert outcome.details["error_bound"] == pytest.approx(
        rank_error * (current.max() - current.min()) / np.std(reference), rel=1e-12
    )
    assert abs(outcome.statistic - expected) <= outcome.details["error_bound"]


def test_a_sketch_that_holds_every_value_is_exact() -> None:
    rng = np.random.default_rng(3)
    reference, current = rng.normal(0, 1, 500), rng.normal(0.2, 1, 40)
    ref = reference_summary(reference)
    merged = merged_pieces(ref, current, [15], **SKETCHED)
    outcome = KS.compare(ColumnPair(ref, merged), 0.05)
    expected = stats.ks_2samp(reference, current)
    assert outcome.details["computed_from"] == "kll_sketch"
    assert outcome.details["error_bound"] == 0.0
    assert "p_value_bounds" not in outcome.details
    assert (outcome.statistic, outcome.p_value) == (expected.statistic, expected.pvalue)
    assert outcome.details["statistic_location"] == expected.statistic_location
