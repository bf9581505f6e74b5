from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from monitor.metrics import multiclass_classification_metrics
from monitor.metrics.multiclass import averaged_scores

ALL = ["accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier"]
CLASSES = ["bird", "cat", "dog"]


@pytest.fixture
def log() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    n = 600
    truth = rng.integers(0, 3, n)
    logits = rng.normal(0, 1, (n, 3)) + 1.2 * np.eye(3)[truth]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    names = np.array(CLASSES, dtype=object)
    return names[truth], names[proba.argmax(axis=1)], proba


@pytest.mark.parametrize("average", ["macro", "weighted", "micro"])
def test_every_multiclass_metric_is_scikit_learns(log: tuple[np.ndarray, ...], average: str) -> None:
    y, pred, proba = log
    scores = {c: proba[:, i] for i, c in enumerate(CLASSES)}
    got = {m.metric: m for m in multiclass_classification_metrics(ALL, y, pred, scores, average)}
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, average=average),
        "recall": skm.recall_score(y, pred, average=average),
        "f1": skm.f1_score(y, pred, average=average),
        "roc_auc": skm.roc_auc_score(y, proba, multi_class="ovr", labels=CLASSES),
        "pr_auc": np.mean([skm.average_precision_score(y == c, proba[:, i]) for i, c in enumerate(CLASSES)]),
        "log_loss": skm.log_loss(y, proba, labels=CLASSES),
        "brier": skm.brier_score_loss(y, proba, labels=CLASSES),
    }
    for name, value in expected.items():
        metric = got[name]
        assert metric.value == pytest.approx(value, abs=1e-12), name
        assert metric.status == "ok" and metric.sample_count == 600
        assert metric.value is not None and metric.ci_low is not None and metric.ci_high is not None
        assert metric.ci_low <= metric.value <= metric.ci_high, name


@pytest.mark.parametrize("which", ["precision", "recall", "f1"])
@pytest.mark.parametrize("average", ["macro", "weighted", "micro"])
def test_bootstrap_statistic_agrees_with_scikit_learn_on_a_confusion_matrix(which: str, average: str) -> None:
    # Class "c" is never predicted and "d" never true: zero_division=NaN leaves them out of averages.
    y = np.array(list("aaabbbccd"))
    p = np.array(list("abbbaaabd"))[::-1]
    labels = sorted(set(y) | set(p))
    confusion = skm.confusion_matrix(y, p, labels=labels)
    sklearn = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}[which]
    expected = sklearn(y, p, average=average, zero_division=np.nan)
    assert averaged_scores(confusion[None], which, average)[0] == pytest.approx(expected, abs=1e-12)


def test_classes_match_by_text_and_score_columns_by_name() -> None:
    y = np.array([0, 1, 2, 2, 1.0])
    scores = {"2": [0.1, 0.1, 0.8, 0.5, 0.2], "0": [0.8, 0.1, 0.1, 0.2, 0.1], "1": [0.1, 0.8, 0.1, 0.3, 0.7]}
    accuracy, auc = multiclass_classification_metrics(
        ["accuracy", "roc_auc"], y, ["0", "1", "2", "1", "1"], scores
    )
    proba = np.column_stack([scores["0"], scores["1"], scores["2"]])
    assert accuracy.value == 0.8
    assert auc.value == pytest.approx(skm.roc_auc_score(y.astype(int), proba, multi_class="ovr"), abs=1e-12)


def test_probabilities_that_do_not_sum_to_one_are_invalid() -> None:
    scores = {"a": [0.5, 0.5], "b": [0.6, 0.5]}
    (loss,) = multiclass_classification_metrics(["log_loss"], ["a", "b"], None, scores)
    assert (loss.value, loss.status) == (None, "invalid_scores")


def test_ranking_metrics_average_over_the_classes_present() -> None:
    y = np.array(["a", "b", "a", "b"])
    scores = {"a": [0.6, 0.2, 0.5, 0.3], "b": [0.3, 0.7, 0.4, 0.3], "c": [0.1, 0.1, 0.1, 0.4]}
    (auc,) = multiclass_classification_metrics(["roc_auc"], y, None, scores)
    expected = np.mean([skm.roc_auc_score(y == "a", scores["a"]), skm.roc_auc_score(y == "b", scores["b"])])
    assert auc.value == pytest.approx(expected, abs=1e-12)
    (single,) = multiclass_classification_metrics(["roc_auc"], np.array(["a", "a", "a", "a"]), None, scores)
    assert single.status == "single_class"


def test_labelled_rows_without_any_prediction_say_so() -> None:
    results = multiclass_classification_metrics(ALL[:4], ["cat", "dog"], [None, None], None)
    assert [(m.value, m.status, m.sample_count) for m in results] == [(None, "no_predictions", 0)] * 4
