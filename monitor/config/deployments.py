"""Safe deployments: segments of a window (model versions, regions...), serving health read from the
prediction log, and the criteria of the canary verdict (docs/deployments.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from monitor.config._base import Duration, _Strict
from monitor.config.sources import ReferenceConfig

# The metrics a canary criterion can compare sequentially: means of per-row values (or AUC, whose
# DeLong variance makes it asymptotically normal); see monitor/metrics/verdict.py.
CANARY_METRICS = (
    "accuracy",
    "precision",
    "recall",
    "error_rate",
    "roc_auc",
    "mae",
    "rmse",
    "log_loss",
    "brier",
)
CanaryMetric = Literal[
    "accuracy", "precision", "recall", "error_rate", "roc_auc", "mae", "rmse", "log_loss", "brier"
]
# What a segment's rows are called when the window holds more segments than `max_segments`.
OTHER_SEGMENT = "(other)"
MISSING_VALUE = "(missing)"


class SegmentsConfig(_Strict):
    """Every window is also split by these columns; drift, metrics, quality and health are computed
    per segment as well as overall. A segment is named `column=value` (joined by `,` for several)."""

    by: list[str] = Field(min_length=1)
    # The largest segments by rows of a window are kept; the rest are pooled as "(other)", so a column
    # with thousands of values cannot flood the store.
    max_segments: int = Field(20, ge=1, le=500)
    # A reference of its own for some segments (a new version's validation data), by segment name
    # or by value when `by` has one column; the others share the monitor's reference.
    references: dict[str, ReferenceConfig] = Field(default_factory=dict)

    @field_validator("by")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a column is listed twice")
        return value

    def reference_for(self, segment: str) -> ReferenceConfig | None:
        """The segment's own reference, named by its full name or (one column) by its value."""
        if segment in self.references:
            return self.references[segment]
        if len(self.by) == 1:
            return self.references.get(segment.partition("=")[2])
        return None


class ServingConfig(_Strict):
    """Columns of the prediction log that describe serving, all optional."""

    latency_column: str | None = None  # milliseconds
    # A boolean (or 0/1) flag, or a status whose `error_values` mark an error (HTTP 500, "error").
    error_column: str | None = None
    error_values: list[int | str | bool] | None = None
    # Scores within [low, high] are low-confidence predictions (a binary score near 0.5).
    low_confidence: tuple[float, float] | None = None

    @field_validator("low_confidence")
    @classmethod
    def _ordered(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError("give [low, high] with low <= high")
        return value

    @model_validator(mode="after")
    def _values_need_a_column(self) -> ServingConfig:
        if self.error_values is not None and self.error_column is None:
            raise ValueError("`error_values` needs `error_column`")
        return self


class CanaryConfig(_Strict):
    """When `GET /api/v1/monitors/{name}/verdict` says a candidate segment fails against a baseline.
    The metric and error-rate criteria are always-valid sequential tests: asking again and again as
    the canary grows keeps the chance of failing an equal candidate below `alpha`."""

    alpha: float = Field(0.05, gt=0, lt=0.5)
    # Below these (rows of each side; labelled rows when a metric criterion is set): inconclusive.
    min_rows: int = Field(200, ge=1)
    min_labels: int = Field(100, ge=1)
    # Metric -> how much worse the candidate may be than the baseline, in the metric's units
    # (a drop for accuracy or AUC, a rise for losses and error_rate).
    max_drop: dict[CanaryMetric, float] = Field(default_factory=dict)
    max_error_rate: float | None = Field(None, ge=0, le=1)
    max_p99_latency_ms: float | None = Field(None, gt=0)
    max_drift_share: float | None = Field(None, ge=0, le=1)
    # The mixing scale of the sequential test (None: from each criterion's allowed drop).
    tau: float | None = Field(None, gt=0)
    # Without `since`, the verdict looks this far back.
    lookback: Duration = timedelta(days=1)

    @field_validator("max_drop")
    @classmethod
    def _non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        negative = [m for m, v in value.items() if v < 0]
        if negative:
            raise ValueError(f"allowed drops must be >= 0 ({', '.join(negative)})")
        return value


HealthMeasure = Literal[
    "throughput_per_hour", "latency_p50", "latency_p95", "latency_p99", "error_rate", "low_confidence_share"
]
