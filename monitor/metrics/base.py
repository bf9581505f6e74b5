"""The result of one metric on one window."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.metrics.intervals import Interval


@dataclass(frozen=True)
class MetricValue:
    metric: str
    value: float | None
    sample_count: int  # rows the metric was computed on
    # ok, or why there is no value: no_labels, no_predictions, no_scores, single_class,
    # no_predicted_positives, no_positives, constant_target, invalid_scores
    status: str
    ci_low: float | None = None
    ci_high: float | None = None
    # |value - the value on the exact rows| <= bound, when computed from merged summaries (ROC and
    # PR AUC from score histograms: monitor.metrics.partial); None: exact.
    bound: float | None = None

    @classmethod
    def of(cls, metric: str, value: float, n: int, interval: Interval) -> MetricValue:
        low, high = interval if interval is not None else (None, None)
        return cls(metric, float(value), n, "ok", low, high)

    @classmethod
    def missing(cls, metric: str, n: int, status: str) -> MetricValue:
        return cls(metric, None, n, status)
