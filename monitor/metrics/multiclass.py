"""Multiclass classification metrics (scikit-learn's definitions) with sample counts and 95% intervals.

Classes are compared by their text (label 2 and class "2" are one class; 2.0 reads as "2"), and score
columns follow the sorted class names, as scikit-learn's label binarizer orders them.
- precision, recall, F1: scikit-learn with `average` (macro by default) and zero_division=NaN, so a
  class with no predicted (or no true) rows is left out of the average rather than counted as 0;
- ROC AUC and PR AUC: one-vs-rest, macro over the classes present in the window's labels (equal to
  scikit-learn's `roc_auc_score(multi_class="ovr")` when every class is present);
- log loss and Brier score: scikit-learn's, on the probability columns (Brier in [0, 2] for three
  or more classes, as scikit-learn scales it).
Probability rows must sum to 1; rows off by at most PROBABILITY_SUM_TOLERANCE (rounding) are
renormalised, larger deviations make the score metrics `invalid_scores`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

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
from monitor.metrics.classification import PROBABILITY_SUM_TOLERANCE, check_names, present


def class_names(values: Sequence[object] | np.ndarray) -> np.ndarray:
    series = pd.Series(values)
    names: np.ndarray
    if pd.api.types.is_bool_dtype(series.dtype):
        names = series.astype(str).to_numpy(dtype=object)
    elif pd.api.types.is_numeric_dtype(series.dtype) and np.all(np.mod(series.to_numpy(dtype=float), 1) == 0):
        names = series.astype("int64").astype(str).to_numpy(dtype=object)
    else:
        text = series.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
        names = text.to_numpy(dtype=object)
    return names


@dataclass(frozen=True)
class _Multiclass:
    n: int
    average: str
    truth_for_predictions: np.ndarray | None
    predicted: np.ndarray | None
    truth_for_scores: np.ndarray | None
    classes: list[str]  # sorted; the columns of `scores`
    scores: np.ndarray | None  # rows x classes, or None
    score_problem: str | None  # why score metrics cannot be computed


def averaged_scores(draws: np.ndarray, which: str, average: str) -> np.ndarray:
    """precision / recall / f1 of each (k x k) confusion matrix in a (B, k, k) stack, as scikit-learn
    averages them with zero_division=NaN."""
    tp = np.diagonal(draws, axis1=1, axis2=2).astype(float)
    predicted = draws.sum(axis=1).astype(float)  # column sums
    actual = draws.sum(axis=2).astype(float)  # row sums (support)
    if average == "micro":
        micro: np.ndarray = tp.sum(axis=1) / draws.sum(axis=(1, 2))
        return micro
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = {
            "precision": tp / predicted,
            "recall": tp / actual,
            "f1": 2 * tp / (predicted + actual),
        }[which]
    defined = np.isfinite(per_class)
    weights = np.where(defined, 1.0 if average == "macro" else actual, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        averaged: np.ndarray = (np.where(defined, per_class, 0.0) * weights).sum(axis=1) / weights.sum(axis=1)
    return averaged


def _accuracy(d: _Multiclass) -> MetricValue:
    if d.predicted is None or d.truth_for_predictions is None:
        return MetricValue.missing("accuracy", d.n, "no_predictions")
    y, p = d.truth_for_predictions, d.predicted
    if len(y) == 0:  # labelled rows, none with a prediction
        return MetricValue.missing("accuracy", 0, "no_predictions")
    value = accuracy_score(y, p)
    return MetricValue.of("accuracy", value, len(y), intervals.wilson(int(np.sum(y == p)), len(y)))


def _counting(which: str) -> Callable[[_Multiclass], MetricValue]:
    sklearn_metric = {"precision": precision_score, "recall": recall_score, "f1": f1_score}[which]

    def compute(d: _Multiclass) -> MetricValue:
        if d.predicted is None or d.truth_for_predictions is None:
            return MetricValue.missing(which, d.n, "no_predictions")
        y, p = d.truth_for_predictions, d.predicted
        if len(y) == 0:
            return MetricValue.missing(which, 0, "no_predictions")
        value = float(sklearn_metric(y, p, average=d.average, zero_division=np.nan))
        if not np.isfinite(value):
            return MetricValue.missing(which, len(y), "undefined")
        labels = sorted(set(y) | set(p))
        index = {label: i for i, label in enumerate(labels)}
        confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
        np.add.at(confusion, ([index[v] for v in y], [index[v] for v in p]), 1)
        interval = intervals.confusion_bootstrap(
            confusion, lambda draws: averaged_scores(draws, which, d.average)
        )
        return MetricValue.of(which, value, len(y), interval)

    return compute


def _scored(d: _Multiclass, metric: str) -> tuple[np.ndarray, np.ndarray] | MetricValue:
    if d.scores is None or d.truth_for_scores is None:
        return MetricValue.missing(metric, d.n, d.score_problem or "no_scores")
    if d.score_problem is not None:
        return MetricValue.missing(metric, len(d.scores), d.score_problem)
    if len(d.scores) == 0:
        return MetricValue.missing(metric, 0, "no_scores")
    return d.truth_for_scores, d.scores


def _ovr_macro(
    y: np.ndarray, scores: np.ndarray, classes: list[str], binary: Callable[[np.ndarray, np.ndarray], float]
) -> float | None:
    present_classes = [i for i, c in enumerate(classes) if np.any(y == c)]
    if len(present_classes) < 2:
        return None
    return float(np.mean([binary(y == classes[i], scores[:, i]) for i in present_classes]))


def _ranking(
    metric: str, binary: Callable[[np.ndarray, np.ndarray], float]
) -> Callable[[_Multiclass], MetricValue]:
    def compute(d: _Multiclass) -> MetricValue:
        scored = _scored(d, metric)
        if isinstance(scored, MetricValue):
            return scored
        y, s = scored
        value = _ovr_macro(y, s, d.classes, binary)
        if value is None:
            return MetricValue.missing(metric, len(y), "single_class")
        interval = intervals.row_bootstrap(
            len(y), lambda rows: _ovr_macro(y[rows], s[rows], d.classes, binary)
        )
        return MetricValue.of(metric, value, len(y), interval)

    return compute


def _log_loss(d: _Multiclass) -> MetricValue:
    scored = _scored(d, "log_loss")
    if isinstance(scored, MetricValue):
        return scored
    y, s = scored
    eps = np.finfo(s.dtype).eps
    truth_column = np.searchsorted(d.classes, y)
    losses = -np.log(np.clip(s[np.arange(len(y)), truth_column], eps, 1 - eps))
    value = log_loss(y, s, labels=d.classes)
    return MetricValue.of("log_loss", value, len(y), intervals.mean_interval(losses))


def _brier(d: _Multiclass) -> MetricValue:
    scored = _scored(d, "brier")
    if isinstance(scored, MetricValue):
        return scored
    y, s = scored
    one_hot = (y[:, None] == np.asarray(d.classes, dtype=object)[None, :]).astype(float)
    scale = 0.5 if len(d.classes) < 3 else 1.0
    losses = scale * ((s - one_hot) ** 2).sum(axis=1)
    value = brier_score_loss(y, s, labels=d.classes)
    return MetricValue.of("brier", value, len(y), intervals.mean_interval(losses, upper=2 * scale))


_MULTICLASS: dict[str, Callable[[_Multiclass], MetricValue]] = {
    "accuracy": _accuracy,
    "precision": _counting("precision"),
    "recall": _counting("recall"),
    "f1": _counting("f1"),
    "roc_auc": _ranking("roc_auc", lambda y, s: float(roc_auc_score(y, s))),
    "pr_auc": _ranking("pr_auc", lambda y, s: float(average_precision_score(y, s))),
    "log_loss": _log_loss,
    "brier": _brier,
}


def multiclass_classification_metrics(
    metrics: Sequence[str],
    labels: Sequence[object] | np.ndarray,
    predictions: Sequence[object] | np.ndarray | None,
    class_scores: Mapping[str, Sequence[float] | np.ndarray] | None,
    average: str = "macro",
) -> list[MetricValue]:
    """`class_scores` maps each class name to its probability column."""
    check_names(metrics, _MULTICLASS)
    y = class_names(np.asarray(labels, dtype=object))
    if len(y) == 0:
        return [MetricValue.missing(m, 0, "no_labels") for m in metrics]
    truth_p = predicted = None
    if predictions is not None:
        raw = np.asarray(predictions, dtype=object)
        has = present(raw)
        truth_p, predicted = y[has], class_names(raw[has])
    classes = sorted(str(c) for c in class_scores) if class_scores else []
    truth_s = scores = None
    problem = None
    if class_scores:
        by_name = {str(k): v for k, v in class_scores.items()}
        matrix = np.column_stack([np.asarray(by_name[c], dtype=float) for c in classes])
        has = np.isfinite(matrix).all(axis=1)
        truth_s, scores = y[has], matrix[has]
        sums = scores.sum(axis=1)
        if np.any(np.abs(sums - 1) > PROBABILITY_SUM_TOLERANCE) or np.any(scores < 0):
            problem = "invalid_scores"
        elif not set(truth_s) <= set(classes):
            problem = "label_outside_classes"
        elif not np.allclose(sums, 1, rtol=np.sqrt(np.finfo(float).eps), atol=0):
            scores = scores / sums[:, None]  # rounded probabilities; scikit-learn would warn
    data = _Multiclass(len(y), average, truth_p, predicted, truth_s, classes, scores, problem)
    return [_MULTICLASS[m](data) for m in metrics]
