"""The binned ROC AUC, its DeLong variance and average precision against scikit-learn and the
single-process DeLong algorithm on the binned scores, and the bounds against the exact values."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from monitor.metrics.intervals import delong_auc
from monitor.metrics.score_histogram import (
    ScoreGrid,
    ScoreHistogram,
    average_precision,
    delong_variance,
    roc_auc,
)


def test_bins_keep_the_order_and_count_the_scores_outside() -> None:
    grid = ScoreGrid(0.0, 1.0, bins=4)
    scores = np.array([-0.5, 0.0, 0.2499, 0.25, 0.99, 1.0, 1.5])
    assert grid.index(scores).tolist() == [0, 0, 0, 1, 3, 4, 4]
    h = ScoreHistogram.of(grid, np.array([True] * 7), scores)
    assert h.outside == 2 and h.positive.tolist() == [3, 1, 0, 1, 2]


def test_a_grid_needs_a_range() -> None:
    with pytest.raises(ValueError, match="finite low < high"):
        ScoreGrid(1.0, 1.0)


def test_binned_auc_and_its_delong_variance_are_those_of_the_binned_scores() -> None:
    rng = np.random.default_rng(2)
    truth = rng.random(3000) < 0.3
    scores = np.clip(rng.beta(2, 3, 3000) + 0.2 * truth, 0, 1)
    grid = ScoreGrid()
    h = ScoreHistogram.of(grid, truth, scores)
    binned = grid.index(scores).astype(float)
    found = roc_auc(h)
    assert found is not None
    expected_auc, expected_variance = delong_auc(truth, binned)
    assert found.value == pytest.approx(skm.roc_auc_score(truth, binned), abs=1e-12)
    assert found.value == pytest.approx(expected_auc, abs=1e-12)
    assert delong_variance(h, found.value) == pytest.approx(expected_variance, rel=1e-9)
    ap = average_precision(h)
    assert ap is not None and ap.value == pytest.approx(skm.average_precision_score(truth, binned), abs=1e-12)


def test_the_bounds_hold_when_the_grid_is_far_too_coarse() -> None:
    # Scores packed into one bin of 4096 on [0, 1]: the binned AUC is 1/2 whatever the order, and the
    # bound says so; on a grid over their own range the value is close.
    rng = np.random.default_rng(3)
    truth = rng.random(2000) < 0.4
    scores = 0.5 + 1e-5 * (rng.random(2000) + 0.5 * truth)
    found = []
    for grid in (ScoreGrid(), ScoreGrid(0.5, 0.50002)):
        h = ScoreHistogram.of(grid, truth, scores)
        auc, ap = roc_auc(h), average_precision(h)
        assert auc is not None and ap is not None
        assert abs(auc.value - skm.roc_auc_score(truth, scores)) <= auc.bound + 1e-12
        assert abs(ap.value - skm.average_precision_score(truth, scores)) <= ap.bound + 1e-12
        found.append(auc)
    assert (found[0].value, found[0].bound) == (0.5, 0.5)
    assert found[1].bound < 1e-3


def test_a_histogram_without_both_classes_has_no_auc() -> None:
    h = ScoreHistogram.of(ScoreGrid(), np.array([True, True]), np.array([0.2, 0.8]))
    assert roc_auc(h) is None
    assert np.isnan(delong_variance(h, 0.5))
    assert average_precision(ScoreHistogram.of(ScoreGrid(), np.array([False]), np.array([0.3]))) is None
