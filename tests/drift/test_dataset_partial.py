"""Dataset-level drift from a window's pieces (dataset_partial.py), as a Dask cluster computes it: the
PCA reconstruction error from merged sums equals the one from the rows, whatever the split; the
classifier's sample is the same rows whatever the split, of the size a local run draws, and on it the
classifier sees what it sees on the rows (a flipped correlation, or nothing)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from monitor.drift import (
    CurrentSummary,
    DriftOptions,
    ReferenceProfile,
    Status,
    build_profile,
    compact_plan,
    compare_datasets,
    compare_summaries,
)
from monitor.drift.dataset_partial import KEY
from monitor.drift.options import MultivariateOptions
from monitor.drift.plan import merge_summaries, summarise_piece
from tests.drift.test_multivariate import correlated

OPTIONS = DriftOptions(multivariate=MultivariateOptions(classifier=True, reconstruction=True, max_rows=400))


def in_pieces(
    current: pd.DataFrame, cuts: list[int], options: DriftOptions, profile: ReferenceProfile
) -> CurrentSummary:
    plan = compact_plan(profile, options, parallel=False)
    bounds = [0, *cuts, len(current)]
    pieces = [summarise_piece(current.iloc[a:b], plan) for a, b in itertools.pairwise(bounds)]
    return merge_summaries(*pieces)


@pytest.mark.parametrize("cuts", [[], [1], [100, 700, 701], list(range(50, 1000, 50))])
def test_merged_pieces_give_the_rows_reconstruction_error_and_one_sample(cuts: list[int]) -> None:
    rng = np.random.default_rng(11)
    reference, current = correlated(rng, 3000, 0.8), correlated(rng, 1000, -0.8)
    profile = build_profile(reference, OPTIONS)
    merged = in_pieces(current, cuts, OPTIONS, profile)
    whole = in_pieces(current, [], OPTIONS, profile)
    drift = compare_summaries(profile, merged, OPTIONS)
    local = compare_datasets(profile, current, OPTIONS)
    ours = {t.test: t for t in drift.dataset_tests}
    theirs = {t.test: t for t in local.dataset_tests}
    pca = ours["pca_reconstruction"]
    assert pca.statistic == pytest.approx(theirs["pca_reconstruction"].statistic, rel=1e-12)
    exact = theirs["pca_reconstruction"]
    assert (pca.drifted, pca.lower, pca.upper, pca.details) == (
        exact.drifted,
        exact.lower,
        exact.upper,
        exact.details,
    )
    # The sample: the 400 rows of smallest key, the same whatever the split.
    assert merged.dataset is not None and whole.dataset is not None
    sample = merged.dataset.sample
    assert sample is not None and whole.dataset.sample is not None
    assert sample.equals(whole.dataset.sample)
    assert len(sample) == 400 and sample[KEY].is_monotonic_increasing and sample[KEY].is_unique
    assert set(sample["x"]) <= set(current["x"])
    classifier = ours["domain_classifier"]
    assert classifier.details["rows_per_side"] == theirs["domain_classifier"].details["rows_per_side"] == 400
    assert classifier.details["sampled_on"] == "workers" and classifier.details["current_rows"] == 1000
    # A flipped correlation: plain to the classifier on the workers' sample as on the local one.
    assert classifier.drifted and theirs["domain_classifier"].drifted
    low, high = (
        theirs["domain_classifier"].details["auc_low"],
        theirs["domain_classifier"].details["auc_high"],
    )
    assert low <= classifier.statistic <= high  # within the local AUC's 95% interval


def test_a_small_window_is_sampled_whole_and_unchanged_data_is_not_flagged() -> None:
    rng = np.random.default_rng(12)
    reference, current = correlated(rng, 3000, 0.8), correlated(rng, 300, 0.8)
    profile = build_profile(reference, OPTIONS)
    merged = in_pieces(current, [120, 121], OPTIONS, profile)
    assert merged.dataset is not None and merged.dataset.sample is not None
    sample = merged.dataset.sample
    assert sorted(sample["x"]) == sorted(current["x"])  # fewer rows than max_rows: all of them
    tests = {t.test: t for t in compare_summaries(profile, merged, OPTIONS).dataset_tests}
    assert tests["domain_classifier"].status is Status.OK and not tests["domain_classifier"].drifted
    assert not tests["pca_reconstruction"].drifted


def test_a_piece_without_a_column_the_model_reads_says_so() -> None:
    rng = np.random.default_rng(13)
    reference, current = correlated(rng, 2000, 0.8), correlated(rng, 300, 0.8)
    profile = build_profile(reference, OPTIONS)
    merged = in_pieces(current.drop(columns="noise"), [], OPTIONS, profile)
    tests = {t.test: t for t in compare_summaries(profile, merged, OPTIONS).dataset_tests}
    assert tests["pca_reconstruction"].status is Status.MISSING_IN_CURRENT
    assert "noise" in tests["pca_reconstruction"].details["reason"]
