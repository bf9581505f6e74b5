"""One monitor: its model, sources, window, schedule, schema, metrics, quality checks and rules."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from monitor.config._base import Duration, _check_zone, _Strict
from monitor.config.alerts import AlertRuleConfig
from monitor.config.compute import ComputeConfig
from monitor.config.deployments import CanaryConfig, SegmentsConfig, ServingConfig
from monitor.config.drift import DriftConfig
from monitor.config.estimation import EstimationConfig, estimable
from monitor.config.sources import ReferenceConfig, SourceConfig
from monitor.windows import WEEKDAYS, WindowGrid, weekday_index

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _parse_anchor(value: Any) -> Any:
    """A weekday name in any case, or an ISO 8601 timestamp. YAML hands over a date or a datetime
    for some spellings (2024-01-02, 2024-01-02 06:00:00) and a string for others (2024-01-02T06:00)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if not isinstance(value, str):
        raise ValueError("must be a weekday name (tuesday) or an ISO 8601 timestamp (2024-01-02T06:00)")
    if value.strip().lower() in WEEKDAYS:
        return WEEKDAYS[weekday_index(value)]
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{value[:40]!r} is neither a weekday ({', '.join(WEEKDAYS)}) "
            "nor an ISO 8601 timestamp such as 2024-01-02T06:00"
        ) from None


Anchor = Annotated[Weekday | datetime, BeforeValidator(_parse_anchor)]


class LabelsConfig(_Strict):
    source: SourceConfig
    id_column: str = "prediction_id"
    label_column: str = "label"
    # When the label became known: labels are pulled by it, incrementally, up to a watermark (the
    # data time of the label stream). None: the source has no such column; it is read whole at each
    # pull and a label counts from the pull that first saw it (a backfill cannot replay history then).
    timestamp_column: str | None = "labelled_at"
    # Windows whose end is less than this far behind the watermark get new metric versions as their
    # labels arrive; older windows are final.
    horizon: Duration = timedelta(days=14)
    # The grid of label checkpoints: a window's metrics get a version as of each checkpoint at which
    # labels of its rows became known (monitor.label_time).
    recompute_every: Duration = timedelta(hours=1)
    # Each live pull reads again this far behind the watermark, for labels that land in the source
    # after their label time (a daily file of the day's labels needs 1d).
    lateness: Duration = timedelta(hours=1)

    @field_validator("horizon", "recompute_every")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration such as 1h or 14d")
        return value


class WindowConfig(_Strict):
    # The step: a tumbling window's size, or how often a rolling window is evaluated.
    size: Duration = timedelta(days=1)
    timezone: str = "UTC"
    # Set for a rolling window: each window ends at a step's end and reaches this far back (7d, 30d).
    length: Duration | None = None
    # Where the grid starts: a weekday (weekly steps start at its local midnight) or an origin
    # timestamp (naive: read in `timezone`); none: local midnights, weeks from Monday.
    anchor: Anchor | None = None

    @field_validator("size", "length")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be a positive duration such as 1h or 1d")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _check_zone(value)

    @model_validator(mode="after")
    def _length_covers_a_step(self) -> WindowConfig:
        if self.length is not None and self.length < self.size:
            raise ValueError("`length` (rolling window) must be at least `size` (its step)")
        return self

    @model_validator(mode="after")
    def _anchor_fits_the_step(self) -> WindowConfig:
        # The grid refuses what it cannot lay out (a weekday anchor with a daily step); asking it
        # here turns that into a config error with the window's path.
        self.grid()
        return self

    def grid(self) -> WindowGrid:
        """The one object that lays out this monitor's windows."""
        return WindowGrid(self.size, self.timezone, self.length, self.anchor)


class ScheduleConfig(_Strict):
    # Run when a window has closed and this much time has passed (lets late rows land).
    delay: Duration = timedelta(minutes=5)
    # Cron expression (5 fields) overriding "every window close"; evaluated in the window's zone.
    cron: str | None = None
    enabled: bool = True

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"not a 5-field cron expression ({exc})") from None
        return value


ColumnType = Literal["number", "integer", "string", "boolean", "timestamp"]


class ModelSchemaConfig(_Strict):
    timestamp_column: str = "timestamp"
    id_column: str = "prediction_id"
    prediction_column: str | None = "prediction"
    score_column: str | None = "score"
    # None: every column that is not the timestamp, id, prediction or score.
    features: list[str] | None = None
    # Multiclass: the probability column of each class (class label -> column).
    class_score_columns: dict[str, str] | None = None
    # Declared column types; rows pushed over HTTP are checked against them. Undeclared columns of the
    # schema take any scalar.
    types: dict[str, ColumnType] = Field(default_factory=dict)


Task = Literal["binary_classification", "multiclass_classification", "regression"]
MetricName = Literal[
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
    "mae",
    "rmse",
    "mape",
    "r2",
]
CLASSIFICATION_METRICS: tuple[MetricName, ...] = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
)
REGRESSION_METRICS: tuple[MetricName, ...] = ("mae", "rmse", "mape", "r2")


class QualityConfig(_Strict):
    """When a data-quality fact of a window becomes a finding."""

    # Row count against the median of this many preceding windows.
    recent_windows: int = Field(7, ge=1)
    row_count_change: float = Field(0.5, gt=0)  # relative change, either way
    missing_share_increase: float = Field(0.1, ge=0, le=1)  # above the reference's share
    out_of_range_share: float = Field(0.01, ge=0, le=1)  # numerical values outside the reference's
    new_category_share: float = Field(0.0, ge=0, le=1)  # rows holding categories the reference lacks


class MonitorConfig(_Strict):
    model: str
    description: str = ""
    source: SourceConfig
    labels: LabelsConfig | None = None
    reference: ReferenceConfig
    schema_: ModelSchemaConfig = Field(default_factory=ModelSchemaConfig, alias="schema")
    window: WindowConfig = Field(default_factory=WindowConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)
    task: Task = "binary_classification"
    # Default: every metric of the task.
    metrics: list[MetricName] = Field(default_factory=list)
    # Binary classification: the class the score is the probability of.
    positive_label: int | str | bool = 1
    # Multiclass precision, recall and F1: how per-class values are averaged (scikit-learn's `average`).
    average: Literal["macro", "weighted", "micro"] = "macro"
    quality: QualityConfig = Field(default_factory=QualityConfig)
    segments: SegmentsConfig | None = None
    serving: ServingConfig = Field(default_factory=ServingConfig)
    canary: CanaryConfig = Field(default_factory=CanaryConfig)
    # Performance estimated without labels; None: not estimated.
    estimation: EstimationConfig | None = None
    # Where windows are computed: this process (local) or a Dask cluster (monitor/config/compute.py).
    compute: ComputeConfig = Field(default_factory=ComputeConfig)
    alerts: list[AlertRuleConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _metrics_fit_the_task(self) -> MonitorConfig:
        allowed = REGRESSION_METRICS if self.task == "regression" else CLASSIFICATION_METRICS
        if "metrics" not in self.model_fields_set:
            self.metrics = list(allowed)
        wrong = [m for m in self.metrics if m not in allowed]
        if wrong:
            raise ValueError(
                f"metric(s) {', '.join(wrong)} do not apply to {self.task}; use {', '.join(allowed)}"
            )
        if self.task == "multiclass_classification" and not self.schema_.class_score_columns:
            needs_scores = [m for m in self.metrics if m in ("roc_auc", "pr_auc", "log_loss", "brier")]
            if needs_scores:
                raise ValueError(
                    f"{', '.join(needs_scores)} of a multiclass model need `schema.class_score_columns`"
                )
        if self.source.type == "ingest" and self.schema_.features is None:
            raise ValueError("rows pushed over HTTP are checked against `schema.features`: list them")
        return self

    @model_validator(mode="after")
    def _rules_fit_the_monitor(self) -> MonitorConfig:
        for i, rule in enumerate(self.alerts):
            if rule.per_segment and self.segments is None:
                raise ValueError(f"alerts[{i}].per_segment: the monitor has no `segments`")
            needs = {
                "latency_p50": self.serving.latency_column,
                "latency_p95": self.serving.latency_column,
                "latency_p99": self.serving.latency_column,
                "error_rate": self.serving.error_column,
                "low_confidence_share": self.serving.low_confidence,
            }
            if rule.signal == "health" and rule.metric in needs and needs[rule.metric] is None:
                what = "low_confidence" if rule.metric == "low_confidence_share" else "its column"
                raise ValueError(f"alerts[{i}].metric: {rule.metric} needs `serving` to name {what}")
        return self

    @model_validator(mode="after")
    def _estimates_fit_the_task(self) -> MonitorConfig:
        allowed = estimable(self.task)
        if self.estimation is not None:
            if self.task == "multiclass_classification" and not self.schema_.class_score_columns:
                raise ValueError("estimation of a multiclass model needs `schema.class_score_columns`")
            if self.estimation.metrics is None:
                self.estimation.metrics = [m for m in self.metrics if m in allowed]
            wrong = [m for m in self.estimation.metrics if m not in allowed]
            if wrong:
                raise ValueError(
                    f"estimation.metrics: {', '.join(wrong)} cannot be estimated ({', '.join(allowed)})"
                )
        estimated = (self.estimation.metrics or []) if self.estimation else []
        for i, rule in enumerate(self.alerts):
            of_estimates = rule.signal == "estimated_metric" or (
                rule.signal == "metric_change" and rule.of == "estimated"
            )
            if of_estimates and rule.metric not in estimated:
                raise ValueError(f"alerts[{i}].metric: {rule.metric} is not estimated (`estimation.metrics`)")
            labelled = self.metrics if self.labels is not None else []
            if rule.signal == "metric_change" and not of_estimates and rule.metric not in labelled:
                raise ValueError(f"alerts[{i}].metric: {rule.metric} is not a labelled metric (`metrics`)")
        return self

    def estimation_label(self) -> str:
        """The reference's label column that estimators learn from."""
        if self.estimation is not None and self.estimation.label_column:
            return self.estimation.label_column
        return self.labels.label_column if self.labels is not None else "label"

    def config_hash(self) -> str:
        """A digest of every setting that shapes results: what caches built from this monitor's config
        are keyed by. Not `compute`: where a window is computed does not change its results."""
        dumped = json.dumps(self.model_dump(mode="json", by_alias=True, exclude={"compute"}), sort_keys=True)
        return hashlib.sha256(dumped.encode()).hexdigest()
