"""Regression metrics (scikit-learn's definitions) with sample counts and 95% intervals.

Rows with a missing or non-finite actual or predicted value are left out. MAPE is scikit-learn's:
|error| / max(|actual|, machine epsilon), so an actual of 0 gives a huge term rather than a crash.
R² of a window whose actual values are all equal is undefined (`constant_target`): scikit-learn
would report 0.0 or 1.0 there, which reads as a real score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    r2_score,
    root_mean_squared_error,
)

from monitor.metrics import intervals
from monitor.metrics.base import MetricValue
from monitor.metrics.classification import check_names


def _mae(y: np.ndarray, p: np.ndarray) -> MetricValue:
    value = mean_absolute_error(y, p)
    return MetricValue.of("mae", value, len(y), intervals.mean_interval(np.abs(y - p)))


def _rmse(y: np.ndarray, p: np.ndarray) -> MetricValue:
    value = root_mean_squared_error(y, p)
    return MetricValue.of("rmse", value, len(y), intervals.rmse_interval((y - p) ** 2))


def _mape(y: np.ndarray, p: np.ndarray) -> MetricValue:
    value = mean_absolute_percentage_error(y, p)
    terms = np.abs(y - p) / np.maximum(np.abs(y), np.finfo(np.float64).eps)
    return MetricValue.of("mape", value, len(y), intervals.mean_interval(terms))


def _r2(y: np.ndarray, p: np.ndarray) -> MetricValue:
    if len(y) < 2 or np.all(y == y[0]):
        return MetricValue.missing("r2", len(y), "constant_target")
    return MetricValue.of("r2", r2_score(y, p), len(y), intervals.r2_interval(y, p))


_REGRESSION: dict[str, Callable[[np.ndarray, np.ndarray], MetricValue]] = {
    "mae": _mae,
    "rmse": _rmse,
    "mape": _mape,
    "r2": _r2,
}


def regression_metrics(
    metrics: Sequence[str],
    actual: Sequence[float] | np.ndarray,
    predicted: Sequence[float] | np.ndarray | None,
) -> list[MetricValue]:
    check_names(metrics, _REGRESSION)
    y = np.asarray(actual, dtype=float)
    if len(y) == 0:
        return [MetricValue.missing(m, 0, "no_labels") for m in metrics]
    if predicted is None:
        return [MetricValue.missing(m, len(y), "no_predictions") for m in metrics]
    p = np.asarray(predicted, dtype=float)
    keep = np.isfinite(y) & np.isfinite(p)
    y, p = y[keep], p[keep]
    if len(y) == 0:
        return [MetricValue.missing(m, 0, "no_predictions") for m in metrics]
    return [_REGRESSION[m](y, p) for m in metrics]
