"""Model quality metrics on labelled rows (scikit-learn's definitions) with 95% confidence intervals.
Pure: arrays in, results out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import sklearn

from monitor.metrics.base import MetricValue
from monitor.metrics.classification import binary_classification_metrics
from monitor.metrics.multiclass import multiclass_classification_metrics
from monitor.metrics.regression import regression_metrics

__all__ = [
    "MetricValue",
    "binary_classification_metrics",
    "compute_metrics",
    "multiclass_classification_metrics",
    "regression_metrics",
]


def compute_metrics(
    task: str,
    metrics: Sequence[str],
    labels: np.ndarray,
    predictions: np.ndarray | None,
    scores: np.ndarray | None = None,
    *,
    class_scores: Mapping[str, np.ndarray] | None = None,
    positive_label: object = 1,
    average: str = "macro",
) -> list[MetricValue]:
    """The metrics of one task over labelled rows (rows without a label dropped beforehand)."""
    # The arguments we pass scikit-learn are fixed and valid; its per-call parameter validation cost
    # more than the arithmetic on a day's window (a backfill computes thousands of metric versions).
    with sklearn.config_context(skip_parameter_validation=True):
        return _compute(task, metrics, labels, predictions, scores, class_scores, positive_label, average)


def _compute(
    task: str,
    metrics: Sequence[str],
    labels: np.ndarray,
    predictions: np.ndarray | None,
    scores: np.ndarray | None,
    class_scores: Mapping[str, np.ndarray] | None,
    positive_label: object,
    average: str,
) -> list[MetricValue]:
    if task == "binary_classification":
        return binary_classification_metrics(metrics, labels, predictions, scores, positive_label)
    if task == "multiclass_classification":
        return multiclass_classification_metrics(metrics, labels, predictions, class_scores, average)
    if task == "regression":
        return regression_metrics(metrics, labels, predictions)
    raise ValueError(f"unknown task {task!r}")
