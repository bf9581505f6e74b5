"""Binary classification metrics with a status instead of an exception when a metric is undefined."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score


@dataclass(frozen=True)
class MetricValue:
    metric: str
    value: float | None
    sample_count: int
    status: str  # ok, no_labels, single_class, no_scores


def _accuracy(labels: np.ndarray, predictions: np.ndarray | None, _scores: np.ndarray | None) -> MetricValue:
    if predictions is None:
        return MetricValue("accuracy", None, len(labels), "no_predictions")
    return MetricValue("accuracy", float(accuracy_score(labels, predictions)), len(labels), "ok")


def _roc_auc(labels: np.ndarray, _predictions: np.ndarray | None, scores: np.ndarray | None) -> MetricValue:
    if scores is None:
        return MetricValue("roc_auc", None, len(labels), "no_scores")
    if len(np.unique(labels)) < 2:
        # ROC AUC is undefined when one class is absent; say so rather than store a made-up number.
        return MetricValue("roc_auc", None, len(labels), "single_class")
    return MetricValue("roc_auc", float(roc_auc_score(labels, scores)), len(labels), "ok")


_METRICS: dict[str, Callable[[np.ndarray, np.ndarray | None, np.ndarray | None], MetricValue]] = {
    "accuracy": _accuracy,
    "roc_auc": _roc_auc,
}


def binary_classification_metrics(
    metrics: Sequence[str],
    labels: Sequence[object] | np.ndarray,
    predictions: Sequence[object] | np.ndarray | None,
    scores: Sequence[float] | np.ndarray | None,
) -> list[MetricValue]:
    """Each requested metric over the labelled rows; rows whose label is missing must be dropped first."""
    unknown = [m for m in metrics if m not in _METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(_METRICS)}")
    y = np.asarray(labels)
    if len(y) == 0:
        return [MetricValue(m, None, 0, "no_labels") for m in metrics]
    y_pred = None if predictions is None else np.asarray(predictions)
    y_score = None if scores is None else np.asarray(scores, dtype=float)
    return [_METRICS[m](y, y_pred, y_score) for m in metrics]
