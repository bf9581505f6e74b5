"""The partial summary of a piece of a multiclass classifier's labelled rows, and the window's metrics
from the merged summaries (monitor.metrics.partial says what merges exactly).

Counts: labelled rows; the confusion matrix of the rows with a prediction, by (true, predicted) class
name. Scores (rows whose class probabilities are all finite): per class a histogram of its score for
its own rows (positives) and the others (negatives) on [0, 1], the moments of the per-row log loss and
Brier loss, and the counts that decide whether the score metrics exist (rows whose probabilities are
negative or do not sum to 1, rows labelled with a class the scores do not name).

One machine divides every row's probabilities by their sum when any row of the window sums to 1 only
within the tolerance (rounded scores): a fact of the whole window. So a piece where no row needs it
keeps its histograms as they are plus what the division would change, and its losses both ways; the
merge applies the change when either side needs the division, and the result is what one machine
computes on the whole window.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from monitor.metrics import intervals
from monitor.metrics.base import MetricValue
from monitor.metrics.classification import PROBABILITY_SUM_TOLERANCE, present
from monitor.metrics.moments import Moments
from monitor.metrics.multiclass import averaged_scores, class_names
from monitor.metrics.partial_base import (
    CONFUSION_BOOTSTRAP,
    MEAN_OF_DELONG,
    NO_ROW_BOOTSTRAP,
    NORMAL_MEAN,
    WILSON,
    MergedMetric,
    joined_presence,
)
from monitor.metrics.score_histogram import (
    BinnedValue,
    ScoreGrid,
    ScoreHistogram,
    average_precision,
    delong_variance,
    roc_auc,
)

UNIT = ScoreGrid(0.0, 1.0)
# np.allclose's default rtol, which decides on one machine whether the scores are renormalised.
RENORMALISE_ABOVE = float(np.sqrt(np.finfo(float).eps))


def _difference(after: ScoreHistogram, before: ScoreHistogram) -> ScoreHistogram:
    return ScoreHistogram(
        UNIT,
        after.positive - before.positive,
        after.negative - before.negative,
        after.outside - before.outside,
    )


@dataclass(frozen=True, eq=False)
class ClassScores:
    classes: tuple[str, ...]  # sorted
    rows: int  # rows whose class probabilities are all finite
    invalid: int  # of them: negative, or not summing to 1 within PROBABILITY_SUM_TOLERANCE
    outside: int  # of them: labelled with a class the scores do not name
    renormalise: bool  # some row sums to 1 only within the tolerance
    histograms: tuple[ScoreHistogram, ...]  # per class; of the divided scores when renormalise
    change: tuple[ScoreHistogram, ...]  # what dividing would change (zero when renormalise)
    log_loss: tuple[Moments, Moments]  # of the scores as they are, and divided by their sums
    brier: tuple[Moments, Moments]

    def divided(self) -> tuple[ScoreHistogram, ...]:
        return tuple(h.merge(c) for h, c in zip(self.histograms, self.change, strict=True))

    def merge(self, other: ClassScores) -> ClassScores:
        if other.classes != self.classes:
            raise ValueError(
                f"pieces of one window score different classes: {self.classes} and {other.classes}"
            )
        renormalise = self.renormalise or other.renormalise
        if renormalise:
            mine, theirs = self.divided(), other.divided()
            change = tuple(_difference(h, h) for h in mine)
        else:
            mine, theirs = self.histograms, other.histograms
            change = tuple(a.merge(b) for a, b in zip(self.change, other.change, strict=True))
        return ClassScores(
            self.classes,
            self.rows + other.rows,
            self.invalid + other.invalid,
            self.outside + other.outside,
            renormalise,
            tuple(a.merge(b) for a, b in zip(mine, theirs, strict=True)),
            change,
            (self.log_loss[0].merge(other.log_loss[0]), self.log_loss[1].merge(other.log_loss[1])),
            (self.brier[0].merge(other.brier[0]), self.brier[1].merge(other.brier[1])),
        )


@dataclass(frozen=True, eq=False)
class MulticlassPartial:
    labelled: int = 0
    has_predictions: bool | None = None
    confusion: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (true, predicted) -> rows
    has_scores: bool | None = None
    scores: ClassScores | None = None  # None: no piece with a score column and rows seen yet

    def merge(self, other: MulticlassPartial) -> MulticlassPartial:
        scores = self.scores
        if scores is None or other.scores is None:
            scores = scores or other.scores
        else:
            scores = scores.merge(other.scores)
        return MulticlassPartial(
            self.labelled + other.labelled,
            joined_presence(self.has_predictions, other.has_predictions, "a prediction column"),
            dict(Counter(self.confusion) + Counter(other.confusion)),
            joined_presence(self.has_scores, other.has_scores, "class score columns"),
            scores,
        )


def _losses(y: np.ndarray, s: np.ndarray, classes: tuple[str, ...]) -> tuple[Moments, Moments]:
    """Moments of the per-row log loss (rows labelled with a named class) and Brier loss."""
    names = np.asarray(classes, dtype=object)
    inside = np.isin(y, names)
    eps = np.finfo(s.dtype).eps
    column = np.searchsorted(names, y[inside])
    log_losses = -np.log(np.clip(s[inside][np.arange(int(inside.sum())), column], eps, 1 - eps))
    one_hot = (y[:, None] == names[None, :]).astype(float)
    scale = 0.5 if len(classes) < 3 else 1.0
    return Moments.of(log_losses), Moments.of(scale * ((s - one_hot) ** 2).sum(axis=1))


def _class_scores(y: np.ndarray, class_scores: Mapping[str, Sequence[float] | np.ndarray]) -> ClassScores:
    by_name = {str(k): v for k, v in class_scores.items()}
    classes = tuple(sorted(by_name))
    matrix = np.column_stack([np.asarray(by_name[c], dtype=float) for c in classes])
    has = np.isfinite(matrix).all(axis=1)
    truth, s = y[has], matrix[has]
    off = np.abs(s.sum(axis=1) - 1)
    renormalise = bool(np.any(off > RENORMALISE_ABOVE))
    sums = s.sum(axis=1, keepdims=True)
    divided = s / np.where(sums > 0, sums, 1.0)
    raw, scaled = [], []
    for k, name in enumerate(classes):
        positive = truth == name
        raw.append(ScoreHistogram.of(UNIT, positive, s[:, k]))
        scaled.append(ScoreHistogram.of(UNIT, positive, divided[:, k]))
    change = tuple(_difference(after, before) for after, before in zip(scaled, raw, strict=True))
    (log_raw, brier_raw), (log_divided, brier_divided) = (
        _losses(truth, s, classes),
        _losses(truth, divided, classes),
    )
    return ClassScores(
        classes,
        len(s),
        int(np.sum((off > PROBABILITY_SUM_TOLERANCE) | (s < 0).any(axis=1))),
        int(np.sum(~np.isin(truth, np.asarray(classes, dtype=object)))),
        renormalise,
        tuple(scaled) if renormalise else tuple(raw),
        tuple(_difference(h, h) for h in raw) if renormalise else change,
        (log_raw, log_divided),
        (brier_raw, brier_divided),
    )


def multiclass_partial(
    labels: Sequence[object] | np.ndarray,
    predictions: Sequence[object] | np.ndarray | None,
    class_scores: Mapping[str, Sequence[float] | np.ndarray] | None,
) -> MulticlassPartial:
    """The summary of labelled rows, with the arguments of multiclass_classification_metrics."""
    y = class_names(np.asarray(labels, dtype=object)) if len(labels) else np.zeros(0, dtype=object)
    confusion: dict[tuple[str, str], int] = {}
    if predictions is not None:
        raw = np.asarray(predictions, dtype=object)
        has = present(raw) if len(raw) else np.zeros(0, dtype=bool)
        if has.any():
            pairs = Counter(zip(y[has].tolist(), class_names(raw[has]).tolist(), strict=True))
            confusion = {(str(t), str(p)): n for (t, p), n in pairs.items()}
    scores = _class_scores(y, class_scores) if class_scores else None
    return MulticlassPartial(len(y), predictions is not None, confusion, bool(class_scores), scores)


def _matrix(confusion: Mapping[tuple[str, str], int]) -> np.ndarray:
    labels = sorted({t for t, _ in confusion} | {p for _, p in confusion})
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for (t, p), n in confusion.items():
        matrix[index[t], index[p]] += n
    return matrix


def _counted(metric: str, d: MulticlassPartial, average: str) -> MergedMetric:
    if not d.has_predictions:
        return MergedMetric.missing(MetricValue.missing(metric, d.labelled, "no_predictions"))
    matrix = _matrix(d.confusion)
    n = int(matrix.sum())
    if n == 0:
        return MergedMetric.missing(MetricValue.missing(metric, 0, "no_predictions"))
    if metric == "accuracy":
        correct = int(np.trace(matrix))
        value = MetricValue.of(metric, correct / n, n, intervals.wilson(correct, n))
        return MergedMetric(value, exact=True, interval=WILSON)
    found = float(averaged_scores(matrix[None], metric, average)[0])
    if not math.isfinite(found):
        return MergedMetric.missing(MetricValue.missing(metric, n, "undefined"))
    interval = intervals.confusion_bootstrap(matrix, lambda draws: averaged_scores(draws, metric, average))
    return MergedMetric(MetricValue.of(metric, found, n, interval), exact=True, interval=CONFUSION_BOOTSTRAP)


def _scored(d: MulticlassPartial, metric: str) -> ClassScores | MergedMetric:
    s = d.scores
    if not d.has_scores or s is None:
        return MergedMetric.missing(MetricValue.missing(metric, d.labelled, "no_scores"))
    problem = "invalid_scores" if s.invalid else "label_outside_classes" if s.outside else None
    if problem is not None:
        return MergedMetric.missing(MetricValue.missing(metric, s.rows, problem))
    if s.rows == 0:
        return MergedMetric.missing(MetricValue.missing(metric, 0, "no_scores"))
    return s


def _ranking(metric: str, d: MulticlassPartial) -> MergedMetric:
    s = _scored(d, metric)
    if isinstance(s, MergedMetric):
        return s
    present_classes = [h for h in s.histograms if h.positives > 0]
    if len(present_classes) < 2:
        return MergedMetric.missing(MetricValue.missing(metric, s.rows, "single_class"))
    binned = roc_auc if metric == "roc_auc" else average_precision
    found: list[BinnedValue] = [b for b in map(binned, present_classes) if b is not None]
    value = float(np.mean([b.value for b in found]))
    bound = float(np.mean([b.bound for b in found]))
    if metric != "roc_auc":
        return MergedMetric(MetricValue.of(metric, value, s.rows, None), False, bound, NO_ROW_BOOTSTRAP)
    sds = [math.sqrt(delong_variance(h, b.value)) for h, b in zip(present_classes, found, strict=True)]
    interval = intervals.normal_interval(value, float(np.mean(sds)))
    return MergedMetric(MetricValue.of(metric, value, s.rows, interval), False, bound, MEAN_OF_DELONG)


def _mean_loss(metric: str, d: MulticlassPartial) -> MergedMetric:
    s = _scored(d, metric)
    if isinstance(s, MergedMetric):
        return s
    moments = (s.log_loss if metric == "log_loss" else s.brier)[1 if s.renormalise else 0]
    upper = math.inf if metric == "log_loss" else (1.0 if len(s.classes) < 3 else 2.0)
    interval = intervals.normal_mean_interval(moments.mean, moments.sd, moments.n, upper=upper)
    return MergedMetric(
        MetricValue.of(metric, moments.mean, moments.n, interval), exact=True, interval=NORMAL_MEAN
    )


MULTICLASS_MERGED: dict[str, Callable[[MulticlassPartial, str], MergedMetric]] = {
    "accuracy": lambda d, average: _counted("accuracy", d, average),
    "precision": lambda d, average: _counted("precision", d, average),
    "recall": lambda d, average: _counted("recall", d, average),
    "f1": lambda d, average: _counted("f1", d, average),
    "roc_auc": lambda d, _: _ranking("roc_auc", d),
    "pr_auc": lambda d, _: _ranking("pr_auc", d),
    "log_loss": lambda d, _: _mean_loss("log_loss", d),
    "brier": lambda d, _: _mean_loss("brier", d),
}


def multiclass_merged_metrics(
    metrics: Sequence[str], d: MulticlassPartial, average: str
) -> list[MergedMetric]:
    return [MULTICLASS_MERGED[m](d, average) for m in metrics]
