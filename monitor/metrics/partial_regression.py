"""The partial summary of a piece of a regression model's labelled rows, and the window's metrics from
the merged summaries: all exact (monitor.metrics.partial).

Over the rows with a finite actual and prediction (e = actual - prediction): the moments of |e|, e^2,
|e| / max(|actual|, eps) and e (monitor.metrics.moments), the central power sums of the actual values
up to the fourth with the sums of e^2 (actual - mean)^k for k <= 2 (R² and its delta-method interval),
and the least and greatest actual value (a constant target has no R²).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from monitor.metrics import intervals
from monitor.metrics.base import MetricValue
from monitor.metrics.moments import CentredSums, Moments
from monitor.metrics.partial_base import DELTA_R2, NORMAL_MEAN, MergedMetric, joined_presence


@dataclass(frozen=True)
class RegressionPartial:
    labelled: int = 0
    has_predictions: bool | None = None
    absolute: Moments = field(default_factory=Moments)  # |e|
    squared: Moments = field(default_factory=Moments)  # e^2
    percentage: Moments = field(default_factory=Moments)  # |e| / max(|actual|, eps)
    error: Moments = field(default_factory=Moments)  # e
    actual: CentredSums = field(default_factory=CentredSums)  # weighted by e^2
    low: float = math.inf  # least and greatest actual value
    high: float = -math.inf

    @property
    def rows(self) -> int:
        return self.absolute.n

    @property
    def mse(self) -> float:
        return self.squared.mean

    @property
    def mean_error(self) -> float:
        """The bias: mean of actual - prediction."""
        return self.error.mean

    def merge(self, other: RegressionPartial) -> RegressionPartial:
        return RegressionPartial(
            self.labelled + other.labelled,
            joined_presence(self.has_predictions, other.has_predictions, "a prediction column"),
            self.absolute.merge(other.absolute),
            self.squared.merge(other.squared),
            self.percentage.merge(other.percentage),
            self.error.merge(other.error),
            self.actual.merge(other.actual),
            min(self.low, other.low),
            max(self.high, other.high),
        )


def regression_partial(
    actual: Sequence[float] | np.ndarray, predicted: Sequence[float] | np.ndarray | None
) -> RegressionPartial:
    """The summary of labelled rows, with the arguments of regression_metrics."""
    y = np.asarray(actual, dtype=float)
    if predicted is None:
        return RegressionPartial(len(y), False)
    p = np.asarray(predicted, dtype=float)
    keep = np.isfinite(y) & np.isfinite(p)
    y, p = y[keep], p[keep]
    e = y - p
    squared = e**2
    return RegressionPartial(
        len(keep),
        True,
        Moments.of(np.abs(e)),
        Moments.of(squared),
        Moments.of(np.abs(e) / np.maximum(np.abs(y), np.finfo(np.float64).eps)),
        Moments.of(e),
        CentredSums.of(y, squared),
        float(y.min()) if len(y) else math.inf,
        float(y.max()) if len(y) else -math.inf,
    )


def _mean(metric: str, moments: Moments) -> MergedMetric:
    interval = intervals.normal_mean_interval(moments.mean, moments.sd, moments.n)
    return MergedMetric(
        MetricValue.of(metric, moments.mean, moments.n, interval), exact=True, interval=NORMAL_MEAN
    )


def _rmse(d: RegressionPartial) -> MergedMetric:
    mse = intervals.normal_mean_interval(d.squared.mean, d.squared.sd, d.squared.n)
    interval = None if mse is None else (math.sqrt(mse[0]), math.sqrt(mse[1]))
    value = MetricValue.of("rmse", math.sqrt(d.squared.mean), d.rows, interval)
    return MergedMetric(value, exact=True, interval=NORMAL_MEAN + ", square root of its ends")


def _r2(d: RegressionPartial) -> MergedMetric:
    n = d.rows
    if n < 2 or d.low == d.high:
        return MergedMetric.missing(MetricValue.missing("r2", n, "constant_target"))
    _, _, total, _, fourth = d.actual.plain
    squared_errors, _, co_weighted = d.actual.weighted
    variance = total / n
    interval = intervals.r2_delta_interval(
        n,
        squared_errors / n,
        variance,
        d.squared.m2,
        fourth - total * total / n,
        co_weighted - variance * squared_errors,
    )
    value = MetricValue.of("r2", 1 - squared_errors / total, n, interval)
    return MergedMetric(value, exact=True, interval=DELTA_R2)


REGRESSION_MERGED: dict[str, Callable[[RegressionPartial], MergedMetric]] = {
    "mae": lambda d: _mean("mae", d.absolute),
    "rmse": _rmse,
    "mape": lambda d: _mean("mape", d.percentage),
    "r2": _r2,
}


def regression_merged_metrics(metrics: Sequence[str], d: RegressionPartial) -> list[MergedMetric]:
    if not d.has_predictions:
        return [MergedMetric.missing(MetricValue.missing(m, d.labelled, "no_predictions")) for m in metrics]
    if d.rows == 0:
        return [MergedMetric.missing(MetricValue.missing(m, 0, "no_predictions")) for m in metrics]
    return [REGRESSION_MERGED[m](d) for m in metrics]
