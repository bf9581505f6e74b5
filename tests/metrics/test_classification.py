from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from monitor.metrics import binary_classification_metrics


def test_accuracy_and_auc_against_independent_definitions() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 500)
    scores = np.clip(labels * 0.3 + rng.normal(0.35, 0.2, 500), 0, 1)
    predictions = (scores >= 0.5).astype(int)
    accuracy, auc = binary_classification_metrics(["accuracy", "roc_auc"], labels, predictions, scores)
    assert accuracy.value == pytest.approx(np.mean(predictions == labels), abs=1e-12)
    # ROC AUC is the Mann-Whitney U of positives vs negatives over n_pos * n_neg (ties count half).
    pos, neg = scores[labels == 1], scores[labels == 0]
    u = mannwhitneyu(pos, neg).statistic
    assert auc.value == pytest.approx(u / (len(pos) * len(neg)), abs=1e-12)
    assert accuracy.sample_count == auc.sample_count == 500


def test_hand_checked_auc() -> None:
    # Pairs (pos, neg): (0.9,0.1) (0.9,0.4) (0.4,0.1) win, (0.4,0.4) ties: (3 + 0.5) / 4.
    (auc,) = binary_classification_metrics(["roc_auc"], [1, 1, 0, 0], None, [0.9, 0.4, 0.1, 0.4])
    assert auc.value == pytest.approx(0.875)


def test_single_class_auc_is_undefined_not_made_up() -> None:
    (auc,) = binary_classification_metrics(["roc_auc"], [1, 1, 1], None, [0.2, 0.5, 0.9])
    assert auc.value is None and auc.status == "single_class"


def test_no_labels() -> None:
    results = binary_classification_metrics(["accuracy", "roc_auc"], [], [], [])
    assert [(m.value, m.status, m.sample_count) for m in results] == [(None, "no_labels", 0)] * 2


def test_unknown_metric_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown metric"):
        binary_classification_metrics(["f7"], [1], [1], [0.5])
