"""Multiclass CBPE against scikit-learn on labels drawn from the calibrated probabilities, and on
simulated windows of a three-class model whose rows move between classes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from monitor.metrics.estimation_multiclass import estimate_multiclass, fit_multiclass_calibration

CLASSES = ["a", "b", "c"]
WEIGHTS = np.array([[2.0, 0.0], [0.0, 2.0], [-1.5, -1.5]])
METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"]


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _draw(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    return (rng.random((*p.shape[:-1], 1)) > np.cumsum(p, axis=-1)).sum(axis=-1)


def _rows(
    rng: np.random.Generator, n: int, centre: tuple[float, float], sharpness: float = 1.0, spread: float = 1.0
):
    """Truth: softmax(W x); the model's scores: softmax(sharpness W x) (calibrated at 1)."""
    x = rng.normal(centre, spread, (n, 2))
    truth = _draw(rng, _softmax(x @ WEIGHTS.T))
    return _softmax(sharpness * (x @ WEIGHTS.T)), truth


def _realised(metric: str, truth: np.ndarray, scores: np.ndarray, average: str) -> float:
    predicted = scores.argmax(axis=1)
    if metric == "roc_auc":
        return float(roc_auc_score(truth, scores, multi_class="ovr", average="macro", labels=[0, 1, 2]))
    if metric == "accuracy":
        return float(accuracy_score(truth, predicted))
    score = {"precision": precision_score, "recall": recall_score, "f1": f1_score}[metric]
    return float(score(truth, predicted, average=average, labels=[0, 1, 2], zero_division=np.nan))


def _calibration(rng: np.random.Generator, sharpness: float = 1.0):
    scores, truth = _rows(rng, 6000, (0.3, 0.3), sharpness)
    return fit_multiclass_calibration(np.array(CLASSES)[truth], scores, CLASSES, max_ece=0.05)


@pytest.mark.parametrize("average", ["macro", "weighted"])
def test_estimates_and_errors_match_scikit_learn_on_drawn_labels(average: str) -> None:
    rng = np.random.default_rng(1)
    calibration = _calibration(rng)
    scores, _ = _rows(rng, 800, (0.8, 0.0))
    found = {
        e.metric: e
        for e in estimate_multiclass(METRICS, calibration, scores, scores.argmax(1), average=average)
    }
    p = calibration.apply(scores)
    draws = _draw(rng, np.broadcast_to(p, (200, *p.shape)))
    for metric in METRICS:
        values = np.array([_realised(metric, truth, scores, average) for truth in draws])
        estimate = found[metric]
        assert estimate.value is not None and estimate.sampling_error is not None
        assert estimate.value == pytest.approx(values.mean(), abs=0.3 * values.std()), metric
        assert estimate.sampling_error == pytest.approx(values.std(), rel=0.2), metric


def test_the_band_holds_the_realised_metrics_as_rows_move() -> None:
    rng = np.random.default_rng(4)
    calibration = _calibration(rng)
    assert calibration.warning is None
    inside: dict[str, list[bool]] = {m: [] for m in METRICS}
    estimated: list[float] = []
    realised: list[float] = []
    for t in range(60):
        # Rows move from deep in class a to where all three classes meet (x = 0).
        scores, truth = _rows(rng, 800, (2.0 - t / 30, 0.0), spread=0.8)
        for e in estimate_multiclass(METRICS, calibration, scores, scores.argmax(1)):
            value = _realised(e.metric, truth, scores, "macro")
            assert e.lower is not None and e.upper is not None
            inside[e.metric].append(e.lower <= value <= e.upper)
            if e.metric == "accuracy":
                estimated.append(float(e.value or 0))
                realised.append(value)
    for metric, flags in inside.items():
        assert np.mean(flags) >= 0.95, metric
    drop = np.mean(realised[:15]) - np.mean(realised[-15:])
    assert drop > 0.1
    assert np.mean(estimated[:15]) - np.mean(estimated[-15:]) == pytest.approx(drop, abs=0.02)
    assert np.corrcoef(estimated, realised)[0, 1] > 0.9


def test_badly_calibrated_classes_are_named() -> None:
    calibration = _calibration(np.random.default_rng(5), sharpness=3.0)
    assert calibration.warning is not None and calibration.warning.startswith("class a: the model's scores")


def test_without_predictions_or_rows() -> None:
    calibration = _calibration(np.random.default_rng(6))
    scores, _ = _rows(np.random.default_rng(7), 50, (0.0, 0.0))
    accuracy, auc = estimate_multiclass(["accuracy", "roc_auc"], calibration, scores, None)
    assert accuracy.status == "no_predictions" and auc.status == "ok"
    empty = estimate_multiclass(["accuracy"], calibration, scores[:0], None)
    assert [e.status for e in empty] == ["no_rows"]
