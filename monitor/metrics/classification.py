"""Classification metrics (scikit-learn's definitions), each with its sample count and 95% interval.

Metrics that cannot be defined on a window get a status instead of a made-up number: a ROC AUC with
one class present is `single_class`, a precision with no predicted positive `no_predicted_positives`.
Rows whose prediction (or score) is missing are left out of the metrics that need it, so each metric
says how many rows it used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)

from monitor.metrics import intervals
from monitor.metrics.base import MetricValue

# Probability rows summing to 1 within this are renormalised (rounded scores); others are invalid.
PROBABILITY_SUM_TOLERANCE = 1e-6


def matches(values: np.ndarray, target: Any) -> np.ndarray:
    """values == target, also when one side is the text of the other (labels "1" and positive 1)."""
    series = pd.Series(values)
    equal = (series == target).to_numpy(dtype=bool)
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        equal = equal | (series.astype(str) == str(target)).to_numpy(dtype=bool)
    result: np.ndarray = equal
    return result


def present(values: np.ndarray) -> np.ndarray:
    mask: np.ndarray = pd.notna(pd.Series(values)).to_numpy(dtype=bool)
    return mask


@dataclass(frozen=True)
class _Binary:
    n: int
    truth_for_predictions: np.ndarray | None  # bool, rows with a prediction
    predicted: np.ndarray | None  # bool
    truth_for_scores: np.ndarray | None  # bool, rows with a finite score
    scores: np.ndarray | None

    def confusion(self) -> np.ndarray:
        """[[tn, fp], [fn, tp]]: rows are the truth, columns the prediction."""
        assert self.truth_for_predictions is not None and self.predicted is not None
        y, p = self.truth_for_predictions, self.predicted
        return np.array([[np.sum(~y & ~p), np.sum(~y & p)], [np.sum(y & ~p), np.sum(y & p)]])


def f1_of_draws(draws: np.ndarray) -> np.ndarray:
    """F1 of each 2 x 2 confusion matrix [[tn, fp], [fn, tp]] of a (B, 2, 2) stack."""
    tp, fp, fn = draws[:, 1, 1], draws[:, 0, 1], draws[:, 1, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1: np.ndarray = 2 * tp / (2 * tp + fp + fn)
    return f1


def _accuracy(d: _Binary) -> MetricValue:
    if d.predicted is None or d.truth_for_predictions is None:
        return MetricValue.missing("accuracy", d.n, "no_predictions")
    y, p = d.truth_for_predictions, d.predicted
    if len(y) == 0:  # labelled rows, none with a prediction
        return MetricValue.missing("accuracy", 0, "no_predictions")
    correct = int(np.sum(y == p))
    return MetricValue.of("accuracy", accuracy_score(y, p), len(y), intervals.wilson(correct, len(y)))


def _precision(d: _Binary) -> MetricValue:
    if d.predicted is None or d.truth_for_predictions is None:
        return MetricValue.missing("precision", d.n, "no_predictions")
    (_, fp), (_, tp) = d.confusion()
    if tp + fp == 0:
        return MetricValue.missing("precision", len(d.predicted), "no_predicted_positives")
    value = precision_score(d.truth_for_predictions, d.predicted)
    return MetricValue.of("precision", value, len(d.predicted), intervals.wilson(int(tp), int(tp + fp)))


def _recall(d: _Binary) -> MetricValue:
    if d.predicted is None or d.truth_for_predictions is None:
        return MetricValue.missing("recall", d.n, "no_predictions")
    _, (fn, tp) = d.confusion()
    if tp + fn == 0:
        return MetricValue.missing("recall", len(d.predicted), "no_positives")
    value = recall_score(d.truth_for_predictions, d.predicted)
    return MetricValue.of("recall", value, len(d.predicted), intervals.wilson(int(tp), int(tp + fn)))


def _f1(d: _Binary) -> MetricValue:
    if d.predicted is None or d.truth_for_predictions is None:
        return MetricValue.missing("f1", d.n, "no_predictions")
    confusion = d.confusion()
    if confusion[1, 1] == 0 and confusion[0, 1] == 0 and confusion[1, 0] == 0:
        return MetricValue.missing("f1", len(d.predicted), "no_positives")
    value = f1_score(d.truth_for_predictions, d.predicted)
    return MetricValue.of(
        "f1", value, len(d.predicted), intervals.confusion_bootstrap(confusion, f1_of_draws)
    )


def _scored(d: _Binary, metric: str) -> tuple[np.ndarray, np.ndarray] | MetricValue:
    if d.scores is None or d.truth_for_scores is None:
        return MetricValue.missing(metric, d.n, "no_scores")
    if len(d.scores) == 0:
        return MetricValue.missing(metric, 0, "no_scores")
    return d.truth_for_scores, d.scores


def _probabilities(d: _Binary, metric: str) -> tuple[np.ndarray, np.ndarray] | MetricValue:
    scored = _scored(d, metric)
    if isinstance(scored, MetricValue):
        return scored
    y, s = scored
    if s.min() < 0 or s.max() > 1:
        return MetricValue.missing(metric, len(s), "invalid_scores")
    return y, s


def _roc_auc(d: _Binary) -> MetricValue:
    scored = _scored(d, "roc_auc")
    if isinstance(scored, MetricValue):
        return scored
    y, s = scored
    if y.all() or not y.any():
        # ROC AUC is undefined when one class is absent; say so rather than store a made-up number.
        return MetricValue.missing("roc_auc", len(y), "single_class")
    return MetricValue.of("roc_auc", roc_auc_score(y, s), len(y), intervals.delong_interval(y, s))


def _pr_auc(d: _Binary) -> MetricValue:
    scored = _scored(d, "pr_auc")
    if isinstance(scored, MetricValue):
        return scored
    y, s = scored
    if not y.any():
        return MetricValue.missing("pr_auc", len(y), "no_positives")
    value = average_precision_score(y, s)
    return MetricValue.of("pr_auc", value, len(y), intervals.average_precision_interval(value, int(y.sum())))


def _log_loss(d: _Binary) -> MetricValue:
    checked = _probabilities(d, "log_loss")
    if isinstance(checked, MetricValue):
        return checked
    y, s = checked
    eps = np.finfo(s.dtype).eps
    clipped = np.clip(s, eps, 1 - eps)  # as scikit-learn clips
    losses = -np.where(y, np.log(clipped), np.log1p(-clipped))
    value = log_loss(y, s, labels=[False, True])
    return MetricValue.of("log_loss", value, len(y), intervals.mean_interval(losses))


def _brier(d: _Binary) -> MetricValue:
    checked = _probabilities(d, "brier")
    if isinstance(checked, MetricValue):
        return checked
    y, s = checked
    value = brier_score_loss(y, s, labels=[False, True])
    return MetricValue.of("brier", value, len(y), intervals.mean_interval((s - y) ** 2, upper=1.0))


_BINARY: dict[str, Callable[[_Binary], MetricValue]] = {
    "accuracy": _accuracy,
    "precision": _precision,
    "recall": _recall,
    "f1": _f1,
    "roc_auc": _roc_auc,
    "pr_auc": _pr_auc,
    "log_loss": _log_loss,
    "brier": _brier,
}


def check_names(metrics: Sequence[str], known: Mapping[str, object]) -> None:
    unknown = [m for m in metrics if m not in known]
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(known)}")


def binary_classification_metrics(
    metrics: Sequence[str],
    labels: Sequence[object] | np.ndarray,
    predictions: Sequence[object] | np.ndarray | None,
    scores: Sequence[float] | np.ndarray | None,
    positive_label: object = 1,
) -> list[MetricValue]:
    """Each requested metric over the labelled rows; rows whose label is missing must be dropped first.
    `scores` are the probability of `positive_label`."""
    check_names(metrics, _BINARY)
    y = np.asarray(labels)
    if len(y) == 0:
        return [MetricValue.missing(m, 0, "no_labels") for m in metrics]
    truth = matches(y, positive_label)
    truth_p = predicted = truth_s = score_values = None
    if predictions is not None:
        raw = np.asarray(predictions)
        has = present(raw)
        truth_p, predicted = truth[has], matches(raw[has], positive_label)
    if scores is not None:
        values = np.asarray(scores, dtype=float)
        has = np.isfinite(values)
        truth_s, score_values = truth[has], values[has]
    data = _Binary(len(y), truth_p, predicted, truth_s, score_values)
    return [_BINARY[m](data) for m in metrics]
