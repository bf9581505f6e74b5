"""The partial summary of a piece of a binary classifier's labelled rows, and the window's metrics from
the merged summaries of its pieces (monitor.metrics.partial says what merges exactly).

Counts: labelled rows; the confusion matrix (tn, fp, fn, tp) of the rows with a prediction. Scores:
the rows with a finite score as a histogram of positives and negatives (monitor.metrics.score_histogram),
their least and greatest score (log loss and Brier need probabilities), and the moments of the
per-row log loss and Brier loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from monitor.metrics import intervals
from monitor.metrics.base import MetricValue
from monitor.metrics.classification import f1_of_draws, matches, present
from monitor.metrics.moments import Moments
from monitor.metrics.partial_base import (
    BOYD_BINNED,
    CONFUSION_BOOTSTRAP,
    DELONG_BINNED,
    NORMAL_MEAN,
    WILSON,
    MergedMetric,
    joined_presence,
)
from monitor.metrics.score_histogram import (
    ScoreGrid,
    ScoreHistogram,
    average_precision,
    delong_variance,
    roc_auc,
)


@dataclass(frozen=True)
class BinaryScores:
    histogram: ScoreHistogram
    low: float  # least and greatest finite score
    high: float
    log_loss: Moments
    brier: Moments

    @property
    def rows(self) -> int:
        return self.histogram.positives + self.histogram.negatives

    def merge(self, other: BinaryScores) -> BinaryScores:
        return BinaryScores(
            self.histogram.merge(other.histogram),
            min(self.low, other.low),
            max(self.high, other.high),
            self.log_loss.merge(other.log_loss),
            self.brier.merge(other.brier),
        )


@dataclass(frozen=True)
class BinaryPartial:
    labelled: int = 0
    has_predictions: bool | None = None  # None: no piece with rows seen yet
    confusion: tuple[int, int, int, int] = (0, 0, 0, 0)  # tn, fp, fn, tp of the rows with a prediction
    has_scores: bool | None = None
    scores: BinaryScores | None = None  # None: no row with a finite score

    def merge(self, other: BinaryPartial) -> BinaryPartial:
        scores = self.scores
        if scores is None or other.scores is None:
            scores = scores or other.scores
        else:
            scores = scores.merge(other.scores)
        return BinaryPartial(
            self.labelled + other.labelled,
            joined_presence(self.has_predictions, other.has_predictions, "a prediction column"),
            tuple(a + b for a, b in zip(self.confusion, other.confusion, strict=True)),  # type: ignore[arg-type]
            joined_presence(self.has_scores, other.has_scores, "a score column"),
            scores,
        )


def _scores(grid: ScoreGrid, truth: np.ndarray, scores: np.ndarray) -> BinaryScores | None:
    keep = np.isfinite(scores)
    y, s = truth[keep], scores[keep]
    if len(s) == 0:
        return None
    eps = np.finfo(s.dtype).eps
    clipped = np.clip(s, eps, 1 - eps)  # as scikit-learn clips
    losses = -np.where(y, np.log(clipped), np.log1p(-clipped))
    return BinaryScores(
        ScoreHistogram.of(grid, y, s),
        float(s.min()),
        float(s.max()),
        Moments.of(losses),
        Moments.of((s - y) ** 2),
    )


def binary_partial(
    labels: Sequence[object] | np.ndarray,
    predictions: Sequence[object] | np.ndarray | None,
    scores: Sequence[float] | np.ndarray | None,
    *,
    positive_label: object = 1,
    grid: ScoreGrid | None = None,
) -> BinaryPartial:
    """The summary of labelled rows, with the arguments of binary_classification_metrics."""
    y = np.asarray(labels)
    truth = matches(y, positive_label) if len(y) else np.zeros(0, dtype=bool)
    confusion = (0, 0, 0, 0)
    if predictions is not None:
        raw = np.asarray(predictions)
        has = present(raw) if len(raw) else np.zeros(0, dtype=bool)
        t = truth[has]
        p = matches(raw[has], positive_label) if has.any() else np.zeros(0, dtype=bool)
        confusion = (int(np.sum(~t & ~p)), int(np.sum(~t & p)), int(np.sum(t & ~p)), int(np.sum(t & p)))
    summary = None
    if scores is not None:
        summary = _scores(grid or ScoreGrid(), truth, np.asarray(scores, dtype=float))
    return BinaryPartial(len(y), predictions is not None, confusion, scores is not None, summary)


def _counted(metric: str) -> Callable[[BinaryPartial], MergedMetric]:
    def compute(d: BinaryPartial) -> MergedMetric:
        if not d.has_predictions:
            return MergedMetric.missing(MetricValue.missing(metric, d.labelled, "no_predictions"))
        tn, fp, fn, tp = d.confusion
        n = tn + fp + fn + tp
        found = _from_counts(metric, tn, fp, fn, tp)
        if isinstance(found, str):
            return MergedMetric.missing(MetricValue.missing(metric, n, found))
        value, interval, method = found
        return MergedMetric(MetricValue.of(metric, value, n, interval), exact=True, interval=method)

    return compute


def _from_counts(
    metric: str, tn: int, fp: int, fn: int, tp: int
) -> tuple[float, intervals.Interval, str] | str:
    """(value, interval, method), or the status when the metric is undefined."""
    n = tn + fp + fn + tp
    if metric == "accuracy":
        return "no_predictions" if n == 0 else ((tn + tp) / n, intervals.wilson(tn + tp, n), WILSON)
    if metric == "precision":
        return (
            "no_predicted_positives"
            if tp + fp == 0
            else (tp / (tp + fp), intervals.wilson(tp, tp + fp), WILSON)
        )
    if metric == "recall":
        return "no_positives" if tp + fn == 0 else (tp / (tp + fn), intervals.wilson(tp, tp + fn), WILSON)
    if tp + fp + fn == 0:
        return "no_positives"
    matrix = np.array([[tn, fp], [fn, tp]])
    return (
        2 * tp / (2 * tp + fp + fn),
        intervals.confusion_bootstrap(matrix, f1_of_draws),
        CONFUSION_BOOTSTRAP,
    )


def _scored(d: BinaryPartial, metric: str, probabilities: bool) -> BinaryScores | MergedMetric:
    if not d.has_scores:
        return MergedMetric.missing(MetricValue.missing(metric, d.labelled, "no_scores"))
    if d.scores is None:
        return MergedMetric.missing(MetricValue.missing(metric, 0, "no_scores"))
    if probabilities and (d.scores.low < 0 or d.scores.high > 1):
        return MergedMetric.missing(MetricValue.missing(metric, d.scores.rows, "invalid_scores"))
    return d.scores


def _roc_auc(d: BinaryPartial) -> MergedMetric:
    s = _scored(d, "roc_auc", probabilities=False)
    if isinstance(s, MergedMetric):
        return s
    found = roc_auc(s.histogram)
    if found is None:
        return MergedMetric.missing(MetricValue.missing("roc_auc", s.rows, "single_class"))
    variance = delong_variance(s.histogram, found.value)
    interval = intervals.normal_interval(found.value, math.sqrt(variance))
    value = MetricValue.of("roc_auc", found.value, s.rows, interval)
    return MergedMetric(value, exact=False, bound=found.bound, interval=DELONG_BINNED)


def _pr_auc(d: BinaryPartial) -> MergedMetric:
    s = _scored(d, "pr_auc", probabilities=False)
    if isinstance(s, MergedMetric):
        return s
    found = average_precision(s.histogram)
    if found is None:
        return MergedMetric.missing(MetricValue.missing("pr_auc", s.rows, "no_positives"))
    interval = intervals.average_precision_interval(found.value, s.histogram.positives)
    value = MetricValue.of("pr_auc", found.value, s.rows, interval)
    return MergedMetric(value, exact=False, bound=found.bound, interval=BOYD_BINNED)


def _mean_loss(metric: str, upper: float) -> Callable[[BinaryPartial], MergedMetric]:
    def compute(d: BinaryPartial) -> MergedMetric:
        s = _scored(d, metric, probabilities=True)
        if isinstance(s, MergedMetric):
            return s
        moments = s.log_loss if metric == "log_loss" else s.brier
        interval = intervals.normal_mean_interval(moments.mean, moments.sd, moments.n, upper=upper)
        value = MetricValue.of(metric, moments.mean, moments.n, interval)
        return MergedMetric(value, exact=True, interval=NORMAL_MEAN)

    return compute


BINARY_MERGED: dict[str, Callable[[BinaryPartial], MergedMetric]] = {
    "accuracy": _counted("accuracy"),
    "precision": _counted("precision"),
    "recall": _counted("recall"),
    "f1": _counted("f1"),
    "roc_auc": _roc_auc,
    "pr_auc": _pr_auc,
    "log_loss": _mean_loss("log_loss", math.inf),
    "brier": _mean_loss("brier", 1.0),
}


def binary_merged_metrics(metrics: Sequence[str], d: BinaryPartial) -> list[MergedMetric]:
    return [BINARY_MERGED[m](d) for m in metrics]
