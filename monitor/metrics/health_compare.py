"""Serving health of two versions side by side (candidate - baseline), from their prediction-log rows.

- error_rate: the share of error rows among the rows whose error status is known (serving.py's
  rules); two-proportion z-test (pooled p-value, Wald interval), as for accuracy in compare.py;
- latency_p95, latency_p99: difference of numpy's percentiles, with a seeded percentile bootstrap
  interval (bootstrap.py); the p-value is the two-sided Mann-Whitney U test of the two latency
  samples (scipy.stats.mannwhitneyu), a test that one version's latencies tend to be larger, not a
  test of the quantiles themselves (there is no cheap exact test of a quantile difference).
Not valid under repeated looks; the canary gate's latency limit is a hard limit on observed values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from monitor.metrics import bootstrap
from monitor.metrics.compare import MetricDifference, two_proportions
from monitor.metrics.serving import error_flags, numeric_values

LATENCY_TEST = f"{bootstrap.TEST_NAME} interval, Mann-Whitney U p-value"


def _known_flags(frame: pd.DataFrame, column: str, error_values: Sequence[object] | None) -> np.ndarray:
    if column not in frame.columns:
        raise ValueError(f"the error column {column!r} is not in the data")
    flags = error_flags(frame[column], error_values)
    known: np.ndarray = flags[~np.isnan(flags)]
    return known


def _latency(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        raise ValueError(f"the latency column {column!r} is not in the data")
    return numeric_values(frame[column])


Pair = tuple[float, float] | None


def _latency_result(
    name: str, values: Pair, interval: Pair, p_value: float | None, sizes: tuple[int, int], confidence: float
) -> MetricDifference:
    b, c = values if values is not None else (None, None)
    low, high = interval if interval is not None else (None, None)
    diff = c - b if b is not None and c is not None else None
    status = "ok" if values is not None else "insufficient_data"
    return MetricDifference(name, b, c, diff, low, high, p_value, LATENCY_TEST, *sizes, status, confidence)


def latency_differences(b: np.ndarray, c: np.ndarray, confidence: float = 0.95) -> list[MetricDifference]:
    """latency_p95 and latency_p99 of two latency samples (finite values)."""
    sizes = (len(b), len(c))
    if min(sizes) < 2:
        return [_latency_result(f"latency_p{q}", None, None, None, sizes, confidence) for q in (95, 99)]
    p_value = float(mannwhitneyu(c, b, alternative="two-sided").pvalue)
    results = []
    for q in (95, 99):
        values = float(np.percentile(b, q)), float(np.percentile(c, q))
        summary = bootstrap.percentile_summary(bootstrap.quantile_differences(b, c, q), confidence)
        interval = (summary[0], summary[1]) if summary is not None else None
        results.append(_latency_result(f"latency_p{q}", values, interval, p_value, sizes, confidence))
    return results


def compare_health(
    baseline: pd.DataFrame,
    candidate: pd.DataFrame,
    *,
    latency_column: str | None = None,
    error_column: str | None = None,
    error_values: Sequence[object] | None = None,
    confidence: float = 0.95,
) -> list[MetricDifference]:
    """error_rate (when error_column is given), then latency_p95 and latency_p99 (when latency_column
    is), each as candidate - baseline with its interval and p-value."""
    results = []
    if error_column is not None:
        b = _known_flags(baseline, error_column, error_values)
        c = _known_flags(candidate, error_column, error_values)
        results.append(two_proportions("error_rate", b, c, confidence))
    if latency_column is not None:
        results += latency_differences(
            _latency(baseline, latency_column), _latency(candidate, latency_column), confidence
        )
    return results
