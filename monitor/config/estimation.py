"""Performance estimated without labels (docs/metrics.md#performance-before-labels): CBPE for binary
classifiers, DLE for regression, fitted on the monitor's labelled reference."""

from __future__ import annotations

from pydantic import Field

from monitor.config._base import _Strict

# What each task's estimators can estimate (monitor.metrics.estimation, monitor.metrics.loss_estimation).
ESTIMABLE: dict[str, tuple[str, ...]] = {
    "binary_classification": ("accuracy", "precision", "recall", "f1", "roc_auc", "brier", "log_loss"),
    "multiclass_classification": ("accuracy", "precision", "recall", "f1", "roc_auc"),
    "regression": ("mae", "rmse"),
}
# Metrics that get worse as they grow: change detection watches them for a rise by default.
LOSSES = frozenset({"log_loss", "brier", "mae", "rmse", "mape"})


class EstimationConfig(_Strict):
    # Default: the monitor's `metrics` that its task's estimator can estimate.
    metrics: list[str] | None = None
    # The reference's label column; default `labels.label_column` (or "label" without `labels`).
    label_column: str | None = None
    # Reference scores whose expected calibration error exceeds this are badly calibrated: a warning.
    max_calibration_error: float = Field(0.05, gt=0, lt=1)
    # Rows per reference chunk when learning a metric's level and spread for change detection
    # (default: 1,000, or half the reference when smaller).
    chunk_rows: int | None = Field(None, ge=20)


def estimable(task: str) -> tuple[str, ...]:
    return ESTIMABLE.get(task, ())


def worse_when(metric: str) -> str:
    """The direction in which a metric gets worse: up for losses, down for scores."""
    return "up" if metric in LOSSES else "down"
