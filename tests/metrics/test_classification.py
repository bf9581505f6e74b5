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


# Every binary metric against scikit-learn, and every interval against its textbook formula.

from sklearn import metrics as skm  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

ALL = ["accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier"]


@pytest.fixture
def binary_log() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(8)
    labels = rng.integers(0, 2, 700)
    scores = np.clip(0.25 * labels + rng.beta(2, 3, 700), 0, 1)
    return labels, (scores >= 0.5).astype(int), scores


def test_every_binary_metric_is_scikit_learns(binary_log: tuple[np.ndarray, ...]) -> None:
    y, pred, score = binary_log
    got = {m.metric: m for m in binary_classification_metrics(ALL, y, pred, score)}
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "roc_auc": skm.roc_auc_score(y, score),
        "pr_auc": skm.average_precision_score(y, score),
        "log_loss": skm.log_loss(y, score),
        "brier": skm.brier_score_loss(y, score),
    }
    for name, value in expected.items():
        metric = got[name]
        assert metric.value == pytest.approx(value, abs=1e-12), name
        assert metric.status == "ok" and metric.sample_count == 700
        assert metric.value is not None and metric.ci_low is not None and metric.ci_high is not None
        assert metric.ci_low <= metric.value <= metric.ci_high, name


def test_proportions_have_wilson_intervals(binary_log: tuple[np.ndarray, ...]) -> None:
    y, pred, score = binary_log
    accuracy, precision, recall = binary_classification_metrics(
        ["accuracy", "precision", "recall"], y, pred, score
    )
    tp, fp, fn = (
        np.sum((y == 1) & (pred == 1)),
        np.sum((y == 0) & (pred == 1)),
        np.sum((y == 1) & (pred == 0)),
    )
    for metric, (k, n) in (
        (accuracy, (np.sum(y == pred), len(y))),
        (precision, (tp, tp + fp)),
        (recall, (tp, tp + fn)),
    ):
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert (metric.ci_low, metric.ci_high) == pytest.approx((low, high), abs=1e-12)


def test_mean_losses_have_normal_intervals(binary_log: tuple[np.ndarray, ...]) -> None:
    y, pred, score = binary_log
    log_loss, brier = binary_classification_metrics(["log_loss", "brier"], y, pred, score)
    eps = np.finfo(float).eps
    clipped = np.clip(score, eps, 1 - eps)  # scikit-learn's log loss clips scores of exactly 0 or 1
    assert (score == 1).any()
    for metric, losses in (
        (log_loss, -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))),
        (brier, (score - y) ** 2),
    ):
        half = 1.959963984540054 * losses.std(ddof=1) / np.sqrt(len(losses))
        assert metric.ci_low == pytest.approx(losses.mean() - half, abs=1e-9)
        assert metric.ci_high == pytest.approx(losses.mean() + half, abs=1e-9)


def test_roc_auc_interval_is_delongs(binary_log: tuple[np.ndarray, ...]) -> None:
    y, pred, score = binary_log
    (auc,) = binary_classification_metrics(["roc_auc"], y, pred, score)
    # DeLong's structural components by their definition, pair by pair (O(m n)).
    pos, neg = score[y == 1], score[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    variance = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)
    half = 1.959963984540054 * np.sqrt(variance)
    assert auc.value == pytest.approx(psi.mean(), abs=1e-12)
    assert (auc.ci_low, auc.ci_high) == pytest.approx((auc.value - half, auc.value + half), abs=1e-12)


def test_pr_auc_interval_is_the_logit_interval(binary_log: tuple[np.ndarray, ...]) -> None:
    y, pred, score = binary_log
    (ap,) = binary_classification_metrics(["pr_auc"], y, pred, score)
    assert ap.value is not None
    eta, tau = np.log(ap.value / (1 - ap.value)), 1 / np.sqrt(y.sum() * ap.value * (1 - ap.value))
    low, high = (
        1 / (1 + np.exp(-(eta - 1.959963984540054 * tau))),
        1 / (1 + np.exp(-(eta + 1.959963984540054 * tau))),
    )
    assert (ap.ci_low, ap.ci_high) == pytest.approx((low, high), abs=1e-12)


def test_f1_interval_is_a_seeded_bootstrap_that_covers_the_truth() -> None:
    rng = np.random.default_rng(0)
    # A model with a known F1 on the population: it flags every positive and half the negatives,
    # so per row TP = 0.5, FP = 0.25, FN = 0 and F1 = 2 TP / (2 TP + FP + FN) = 0.8.
    hits = []
    for _ in range(40):
        y = rng.integers(0, 2, 400)
        pred = np.where(y == 1, 1, rng.integers(0, 2, 400))
        (f1,) = binary_classification_metrics(["f1"], y, pred, None)
        again = binary_classification_metrics(["f1"], y, pred, None)[0]
        assert (f1.ci_low, f1.ci_high) == (again.ci_low, again.ci_high)  # fixed seed: reproducible
        assert f1.ci_low is not None and f1.ci_high is not None
        hits.append(f1.ci_low <= 0.8 <= f1.ci_high)
    assert sum(hits) >= 34  # about 95% of 40; at least 34 is all but certain for a right interval


def test_string_labels_and_a_named_positive_class() -> None:
    labels = np.array(["fraud", "ok", "ok", "fraud", "ok"], dtype=object)
    preds = np.array(["fraud", "ok", "fraud", "ok", "ok"], dtype=object)
    precision, recall = binary_classification_metrics(["precision", "recall"], labels, preds, None, "fraud")
    assert (precision.value, recall.value) == (0.5, 0.5)


def test_undefined_binary_metrics_say_why() -> None:
    y = np.array([0, 0, 1, 0])
    never_positive = np.zeros(4, dtype=int)
    precision, recall = binary_classification_metrics(["precision", "recall"], y, never_positive, None)
    no_positives = binary_classification_metrics(
        ["recall", "pr_auc"], np.zeros(3), np.zeros(3), [0.1, 0.2, 0.3]
    )
    out_of_range = binary_classification_metrics(["log_loss", "brier"], [0, 1], [0, 1], [0.2, 1.7])
    no_scores = binary_classification_metrics(["roc_auc"], [0, 1], [0, 1], None)
    assert (precision.status, precision.value, recall.status) == ("no_predicted_positives", None, "ok")
    assert [m.status for m in no_positives] == ["no_positives", "no_positives"]
    assert [m.status for m in out_of_range] == ["invalid_scores", "invalid_scores"]
    assert no_scores[0].status == "no_scores"


def test_rows_without_a_score_are_left_out_of_score_metrics_only() -> None:
    y = np.array([1, 0, 1, 0, 1])
    scores = np.array([0.9, 0.2, np.nan, 0.4, 0.6])
    accuracy, auc = binary_classification_metrics(
        ["accuracy", "roc_auc"], y, np.array([1, 0, 1, 0, 1]), scores
    )
    assert (accuracy.sample_count, auc.sample_count) == (5, 4)
    assert auc.value == skm.roc_auc_score(y[[0, 1, 3, 4]], scores[[0, 1, 3, 4]])


def test_labelled_rows_without_any_prediction_say_so() -> None:
    results = binary_classification_metrics(["accuracy", "precision", "f1"], [1, 0], [None, None], None)
    assert [(m.value, m.status, m.sample_count) for m in results] == [
        (None, "no_predictions", 0),
        (None, "no_predicted_positives", 0),
        (None, "no_positives", 0),
    ]
