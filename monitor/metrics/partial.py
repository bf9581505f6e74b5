"""A window's quality metrics from partial summaries of its pieces: each piece of the labelled rows
(a partition on a cluster's worker, say) is summarised on its own, the summaries are merged, and the
metrics come from the merged summary. Only summaries travel, never rows. Pure.

`merge` is associative and commutative (up to floating-point rounding in the last bits), and the
summary of no rows (`empty_partial`) is its identity, so pieces merge in any order and tree.

What comes out exactly as on one machine (monitor.metrics.compute_metrics on all the rows), value,
sample count, status and interval:
- accuracy, precision, recall, F1 (binary and multiclass, every `average`): from the merged confusion
  counts; their Wilson intervals and confusion-matrix bootstraps depend on the rows only through those
  counts, so they are equal too;
- log loss and Brier score: means of per-row losses, from merged moments (normal interval);
- MAE, RMSE, MAPE, R² (and MSE, mean error): from merged moments and central power sums, with the
  same normal and delta-method intervals.
What is approximate, with a bound reported beside the value (MergedMetric.bound):
- ROC AUC and PR AUC, from merged histograms of the scores on 4,096 bins (monitor.metrics.score_histogram):
  the order of scores within a bin is lost. Binary intervals: DeLong on the binned scores (ROC AUC),
  Boyd's logit interval around the binned AP (PR AUC). Multiclass: one machine bootstraps rows, which
  does not merge; ROC AUC gets a conservative interval (the mean of the classes' DeLong standard
  deviations bounds the standard deviation of their mean whatever their correlation), PR AUC none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import reduce

import numpy as np

from monitor.metrics.base import MetricValue
from monitor.metrics.classification import check_names
from monitor.metrics.partial_base import MergedMetric, MetricSettings
from monitor.metrics.partial_binary import BINARY_MERGED, BinaryPartial, binary_merged_metrics, binary_partial
from monitor.metrics.partial_multiclass import (
    MULTICLASS_MERGED,
    MulticlassPartial,
    multiclass_merged_metrics,
    multiclass_partial,
)
from monitor.metrics.partial_regression import (
    REGRESSION_MERGED,
    RegressionPartial,
    regression_merged_metrics,
    regression_partial,
)

__all__ = [
    "BinaryPartial",
    "MergedMetric",
    "MetricSettings",
    "MulticlassPartial",
    "Partial",
    "RegressionPartial",
    "empty_partial",
    "merge",
    "merge_all",
    "merged_metrics",
    "metrics_from",
    "partial_summary",
]

Partial = BinaryPartial | MulticlassPartial | RegressionPartial

_KINDS: dict[str, type[BinaryPartial] | type[MulticlassPartial] | type[RegressionPartial]] = {
    "binary_classification": BinaryPartial,
    "multiclass_classification": MulticlassPartial,
    "regression": RegressionPartial,
}
_KNOWN: dict[str, Mapping[str, object]] = {
    "binary_classification": BINARY_MERGED,
    "multiclass_classification": MULTICLASS_MERGED,
    "regression": REGRESSION_MERGED,
}


def _kind(task: str) -> type[BinaryPartial] | type[MulticlassPartial] | type[RegressionPartial]:
    if task not in _KINDS:
        raise ValueError(f"unknown task {task!r}")
    return _KINDS[task]


def empty_partial(task: str) -> Partial:
    """The summary of no rows: merging it changes nothing."""
    return _kind(task)()


def partial_summary(
    settings: MetricSettings,
    labels: Sequence[object] | np.ndarray,
    predictions: Sequence[object] | np.ndarray | None,
    scores: Sequence[float] | np.ndarray | None = None,
    *,
    class_scores: Mapping[str, Sequence[float] | np.ndarray] | None = None,
) -> Partial:
    """The summary of one piece of a window's labelled rows; the arguments are compute_metrics'."""
    _kind(settings.task)
    if settings.task == "binary_classification":
        return binary_partial(
            labels, predictions, scores, positive_label=settings.positive_label, grid=settings.score_grid
        )
    if settings.task == "multiclass_classification":
        return multiclass_partial(labels, predictions, class_scores)
    return regression_partial(np.asarray(labels, dtype=float), predictions)  # type: ignore[arg-type]


def merge(a: Partial, b: Partial) -> Partial:
    """The summary of the rows of both pieces."""
    if type(a) is not type(b):
        raise ValueError(f"a {type(a).__name__} does not merge with a {type(b).__name__}")
    return a.merge(b)  # type: ignore[arg-type]


def merge_all(task: str, pieces: Iterable[Partial]) -> Partial:
    return reduce(merge, pieces, empty_partial(task))


def merged_metrics(partial: Partial, settings: MetricSettings) -> list[MergedMetric]:
    """Each of `settings.metrics`, with whether it is exact and how its interval was computed."""
    if not isinstance(partial, _kind(settings.task)):
        raise ValueError(f"a {type(partial).__name__} has no {settings.task} metrics")
    metrics = settings.metrics
    check_names(metrics, _KNOWN[settings.task])
    if partial.labelled == 0:
        return [MergedMetric.missing(MetricValue.missing(m, 0, "no_labels")) for m in metrics]
    if isinstance(partial, BinaryPartial):
        return binary_merged_metrics(metrics, partial)
    if isinstance(partial, MulticlassPartial):
        return multiclass_merged_metrics(metrics, partial, settings.average)
    return regression_merged_metrics(metrics, partial)


def metrics_from(partial: Partial, settings: MetricSettings) -> list[MetricValue]:
    """The window's metrics as the pipeline stores them (names, values, counts, statuses, intervals),
    each approximate one with its bound."""
    return [
        m.value if m.exact or m.value.value is None else replace(m.value, bound=m.bound)
        for m in merged_metrics(partial, settings)
    ]
