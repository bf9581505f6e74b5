"""The YAML configuration file: pydantic models, `${VAR}` interpolation, readable error paths.

Relative paths in the file (data files, a SQLite database) are resolved against the directory
the file is in, as docker-compose does, so a config works from any working directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.functional_validators import BeforeValidator

DATABASE_URL_ENV = "MONITOR_DATABASE_URL"
_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class ConfigError(Exception):
    """A config file that cannot be used; `errors` holds (path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("\n".join(f"{path}: {message}" if path else message for path, message in errors))


def _parse_duration(value: Any) -> Any:
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    return value


Duration = Annotated[timedelta, BeforeValidator(_parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FilesSourceConfig(_Strict):
    """Parquet or CSV files; `path` may be a glob (`**` for any depth)."""

    type: Literal["files"]
    path: str
    format: Literal["auto", "parquet", "csv"] = "auto"
    # Hive-style date partitions in the path (`dt=2026-11-22/`): files of days that cannot overlap the
    # window are never opened. The day is a calendar day in `partition_timezone`.
    partition_key: str = "dt"
    partition_timezone: str = "UTC"

    @field_validator("partition_timezone")
    @classmethod
    def _known_partition_zone(cls, value: str) -> str:
        return _check_zone(value)


class SqlSourceConfig(_Strict):
    """Any database SQLAlchemy reaches: a table (filtered on the time column) or a query using
    `:start` and `:end`. Identifiers are quoted and bounds bound as parameters, never formatted in."""

    type: Literal["sql"]
    url: str
    table: str | None = None
    schema_: str | None = Field(None, alias="schema")
    query: str | None = None
    # Rows fetched per round trip; a window is streamed in chunks of this size.
    chunk_size: int = Field(50_000, ge=1)

    @model_validator(mode="after")
    def _table_or_query(self) -> SqlSourceConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of `table` or `query`")
        if self.query is not None and self.schema_ is not None:
            raise ValueError("`schema` applies to `table` only; name the schema inside the query")
        return self


class IngestSourceConfig(_Strict):
    """Rows pushed over HTTP (POST /api/v1/models/{model}/predictions and .../ground-truth) and kept in
    the service database; validated against the monitor's `schema`."""

    type: Literal["ingest"]


SourceConfig = Annotated[
    FilesSourceConfig | SqlSourceConfig | IngestSourceConfig, Field(discriminator="type")
]


class PeriodReferenceConfig(_Strict):
    """A fixed past period [start, end) of a source (by default the monitor's own) as the reference."""

    type: Literal["period"]
    start: datetime
    end: datetime
    source: SourceConfig | None = None

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value

    @model_validator(mode="after")
    def _ordered(self) -> PeriodReferenceConfig:
        if self.end <= self.start:
            raise ValueError("`end` must be after `start`")
        return self


ReferenceConfig = Annotated[
    FilesSourceConfig | SqlSourceConfig | IngestSourceConfig | PeriodReferenceConfig,
    Field(discriminator="type"),
]


class LabelsConfig(_Strict):
    source: SourceConfig
    id_column: str = "prediction_id"
    label_column: str = "label"
    # When the label became known; labels not yet known at a run's time are not used.
    timestamp_column: str | None = "labelled_at"
    # Windows that ended less than this long ago have their metrics recomputed as labels arrive
    # (each change stored as a new version); older windows are final.
    horizon: Duration = timedelta(days=14)
    # How often those windows are looked at again.
    recompute_every: Duration = timedelta(hours=1)


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class WindowConfig(_Strict):
    # The step: a tumbling window's size, or how often a rolling window is evaluated.
    size: Duration = timedelta(days=1)
    timezone: str = "UTC"
    # Set for a rolling window: each window ends at a step's end and reaches this far back (7d, 30d).
    length: Duration | None = None

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


# A threshold is a number, or "learned" from the reference's own variation (monitor/drift/learned.py).
ThresholdSetting = float | Literal["learned"]


def _check_test_names(names: list[str], *, thresholds: bool = False) -> list[str]:
    from monitor.drift.registry import is_known, known_tests  # the drift package is pure and light

    # `auto` picks a test; thresholds belong to the tests it picks (ks, wasserstein, ...).
    unknown = [name for name in names if not is_known(name) or (thresholds and name == "auto")]
    if unknown:
        known = ", ".join((*known_tests(), "auto", "evidently:<name>"))
        raise ValueError(f"unknown drift test(s) {', '.join(unknown)}; known: {known}")
    return names


class ColumnDriftConfig(_Strict):
    kind: Literal["numerical", "categorical", "skipped"] | None = None
    tests: list[str] | None = None
    thresholds: dict[str, ThresholdSetting] = Field(default_factory=dict)

    @field_validator("tests")
    @classmethod
    def _known_tests(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_test_names(value)

    @field_validator("thresholds")
    @classmethod
    def _known_threshold_tests(cls, value: dict[str, ThresholdSetting]) -> dict[str, ThresholdSetting]:
        _check_test_names(list(value), thresholds=True)
        return value


class LearnedThresholdConfig(_Strict):
    """How `learned` thresholds are set: the reference cut into `chunks` consecutive pieces, each
    compared with the whole; threshold = mean + std_multiplier * std of those values (as NannyML)."""

    chunks: int = Field(10, ge=2)
    std_multiplier: float = Field(3.0, ge=0)


class DriftConfig(_Strict):
    # `auto` picks a test per column by kind and sample size (see docs/drift.md).
    tests: list[str] = Field(default_factory=lambda: ["auto"])
    thresholds: dict[str, ThresholdSetting] = Field(default_factory=dict)
    columns: dict[str, ColumnDriftConfig] = Field(default_factory=dict)
    drift_share: float = Field(0.5, gt=0, le=1)
    # benjamini-hochberg: p-value tests judged on p-values adjusted across the monitor's columns.
    correction: Literal["none", "benjamini-hochberg"] = "none"
    learned: LearnedThresholdConfig = Field(default_factory=LearnedThresholdConfig)

    @field_validator("tests")
    @classmethod
    def _known_tests(cls, value: list[str]) -> list[str]:
        return _check_test_names(value)

    @field_validator("thresholds")
    @classmethod
    def _known_threshold_tests(cls, value: dict[str, ThresholdSetting]) -> dict[str, ThresholdSetting]:
        _check_test_names(list(value), thresholds=True)
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


Comparison = Literal[">", ">=", "<", "<="]


class BaselineConfig(_Strict):
    """What a metric is compared with: the mean over the previous `windows` windows that have a
    value, or over a fixed period [start, end). The rule breaches on a drop (or rise) beyond the
    allowed amount, absolute or relative to the baseline."""

    windows: int | None = Field(None, ge=1)
    start: datetime | None = None
    end: datetime | None = None
    max_drop: float | None = Field(None, gt=0)
    max_rise: float | None = Field(None, gt=0)
    relative: bool = False
    # Fewer windows with a value than this: no baseline yet, so the rule does not judge.
    min_windows: int = Field(1, ge=1)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    @model_validator(mode="after")
    def _one_of_each(self) -> BaselineConfig:
        fixed = self.start is not None or self.end is not None
        if (self.windows is None) == (not fixed):
            raise ValueError("give either `windows` (previous N windows) or `start` and `end` (a period)")
        if fixed and (self.start is None or self.end is None or self.end <= self.start):
            raise ValueError("a fixed baseline period needs `start` before `end`")
        if (self.max_drop is None) == (self.max_rise is None):
            raise ValueError("give exactly one of `max_drop` or `max_rise`")
        return self


# Labels the service sets on alerts; a rule's own labels may not shadow them.
RESERVED_LABELS = frozenset({"rule", "monitor", "model", "severity", "column", "metric", "check", "test"})
# Metric rules judge a window once this share of its rows has a label (see docs/alerting.md).
DEFAULT_MIN_LABEL_COVERAGE = 0.8
# Quality checks whose value is a 0/1 finding: the threshold defaults to 1 (the finding is present).
FINDING_CHECKS = frozenset({"no_rows", "schema_change", "missing_column", "new_column", "type_change"})


class AlertRuleConfig(_Strict):
    name: str
    signal: Literal["drift_share", "column_drift", "metric", "row_count", "quality"]
    metric: str | None = None
    column: str | None = None
    # column_drift: only this drift test's verdict counts (default: any test that judged the column).
    test: str | None = None
    # quality: the finding to watch, e.g. no_rows, schema_change, missing_share.
    check: str | None = None
    op: Comparison = ">="
    threshold: float | None = None
    baseline: BaselineConfig | None = None
    for_: int = Field(1, alias="for", ge=1)
    # Clear windows an alert keeps firing through before it resolves (a flapping signal stays one alert).
    keep_firing_for: int = Field(0, ge=0)
    severity: Literal["info", "warning", "critical"] = "warning"
    labels: dict[str, str] = Field(default_factory=dict)
    notify: list[str] = Field(default_factory=list)
    action: Literal["retrain"] | None = None
    # The `retrain` notifier to call; needed only when several are configured.
    retrain_via: str | None = None
    # signal 'metric': a window is judged once this share of its rows has a label (or once it has
    # left the label horizon), not when it is run; default DEFAULT_MIN_LABEL_COVERAGE.
    min_label_coverage: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="after")
    def _signal_fields(self) -> AlertRuleConfig:
        if self.signal == "metric" and not self.metric:
            raise ValueError("signal 'metric' needs `metric` (for example roc_auc)")
        if self.signal == "quality" and not self.check:
            raise ValueError("signal 'quality' needs `check` (no_rows, schema_change or missing_share)")
        if self.baseline is not None:
            if self.signal != "metric":
                raise ValueError("`baseline` applies to signal 'metric' only")
            if self.threshold is not None:
                raise ValueError("a rule with `baseline` takes no `threshold`: max_drop or max_rise sets it")
        elif self.threshold is None and not self._threshold_has_default():
            raise ValueError(f"signal {self.signal!r} needs `threshold`")
        if self.min_label_coverage is not None and self.signal != "metric":
            raise ValueError("`min_label_coverage` applies to signal 'metric' only")
        shadowed = sorted(RESERVED_LABELS & set(self.labels))
        if shadowed:
            raise ValueError(f"labels {', '.join(shadowed)} are set by the service and cannot be given")
        return self

    @property
    def label_coverage_needed(self) -> float:
        """The label coverage at which a metric rule judges a window."""
        return DEFAULT_MIN_LABEL_COVERAGE if self.min_label_coverage is None else self.min_label_coverage

    def _threshold_has_default(self) -> bool:
        return self.signal == "column_drift" or (self.signal == "quality" and self.check in FINDING_CHECKS)


class _ChannelConfig(_Strict):
    """How alerts reach one channel, as an Alertmanager route: grouping and repetition."""

    # Alerts of one monitor and window sharing these labels make one message (empty: one per monitor).
    group_by: list[str] = Field(default_factory=list)
    repeat_interval: Duration = timedelta(hours=4)
    send_resolved: bool = True


class LogNotifierConfig(_ChannelConfig):
    type: Literal["log"]
    level: Literal["INFO", "WARNING", "ERROR"] = "WARNING"


class SlackNotifierConfig(_ChannelConfig):
    """An incoming webhook URL, or a bot token and a channel (chat.postMessage)."""

    type: Literal["slack"]
    webhook_url: SecretStr | None = None
    token: SecretStr | None = None
    channel: str | None = None
    # Slack's Web API; tests and proxies point it elsewhere.
    base_url: str = "https://slack.com/api/"
    timeout: float = Field(10, gt=0)
    max_features: int = Field(10, ge=1, le=40)

    @model_validator(mode="after")
    def _one_way_in(self) -> SlackNotifierConfig:
        if (self.webhook_url is None) == (self.token is None):
            raise ValueError("give either `webhook_url` or `token` with `channel`")
        if self.token is not None and not self.channel:
            raise ValueError("a bot `token` needs the `channel` to post to")
        return self


class WebhookNotifierConfig(_ChannelConfig):
    """A JSON POST to any URL; signed like the retraining webhook when `secret` is set."""

    type: Literal["webhook"]
    url: SecretStr
    secret: SecretStr | None = None
    timeout: float = Field(10, gt=0)


class RetrainNotifierConfig(_Strict):
    """The webhook that starts a retraining: signed, idempotent, at most once per cooldown per model."""

    type: Literal["retrain"]
    url: SecretStr
    secret: SecretStr
    cooldown: Duration = timedelta(hours=24)
    timeout: float = Field(10, gt=0)


ChannelConfig = LogNotifierConfig | SlackNotifierConfig | WebhookNotifierConfig
NotifierConfig = Annotated[ChannelConfig | RetrainNotifierConfig, Field(discriminator="type")]


class AlertingConfig(_Strict):
    # A notification not delivered within this age goes to the dead-letter list.
    delivery_max_age: Duration = timedelta(hours=24)
    # How long a dispatcher owns a notification it is sending; after that (a crash), another takes it.
    dispatch_lease: Duration = timedelta(minutes=2)


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


class IngestConfig(_Strict):
    """Limits of POST /api/v1/models/{model}/predictions and /ground-truth."""

    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    max_rows: int = Field(100_000, ge=1)


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


class DatabaseConfig(_Strict):
    url: str = "sqlite:///monitor.db"


class ServerConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # Where links in notifications point; defaults to http://host:port.
    public_url: str | None = None


class Config(_Strict):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    notifiers: dict[str, NotifierConfig] = Field(default_factory=dict)
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    monitors: dict[str, MonitorConfig] = Field(default_factory=dict)
    # Directory of the config file; relative paths resolve against it. Set by load_config.
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @model_validator(mode="after")
    def _notifiers_exist(self) -> Config:
        known = ", ".join(sorted(self.notifiers)) or "none configured"
        retrainers = sorted(n for n, c in self.notifiers.items() if c.type == "retrain")
        for name, monitor in self.monitors.items():
            for i, rule in enumerate(monitor.alerts):
                where = f"monitors.{name}.alerts[{i}]"
                for channel in rule.notify:
                    if channel not in self.notifiers:
                        raise ValueError(f"{where}.notify: unknown notifier {channel!r} (known: {known})")
                    if self.notifiers[channel].type == "retrain":
                        raise ValueError(
                            f"{where}.notify: {channel!r} is a retrain webhook; use `action: retrain`"
                        )
                if rule.retrain_via is not None and rule.retrain_via not in retrainers:
                    raise ValueError(
                        f"{where}.retrain_via: {rule.retrain_via!r} is not a notifier of type retrain "
                        f"(known: {', '.join(retrainers) or 'none'})"
                    )
                if rule.action == "retrain" and rule.retrain_via is None and len(retrainers) != 1:
                    found = "found none" if not retrainers else "found several: name one in retrain_via"
                    raise ValueError(f"{where}.action: needs a notifier of type retrain, {found}")
        return self

    @model_validator(mode="after")
    def _one_schema_per_pushed_model(self) -> Config:
        first: dict[str, tuple[str, ModelSchemaConfig]] = {}
        for name, monitor in self.monitors.items():
            if monitor.source.type != "ingest":
                continue
            seen = first.setdefault(monitor.model, (name, monitor.schema_))
            if seen[1] != monitor.schema_:
                raise ValueError(
                    f"monitors.{name}.schema: model {monitor.model!r} is pushed over HTTP and monitor "
                    f"{seen[0]!r} declares another schema for it; one model has one schema"
                )
        return self

    def retrain_channel(self, rule: AlertRuleConfig) -> str | None:
        """The retrain notifier a rule calls, or None when the rule takes no action."""
        if rule.action != "retrain":
            return None
        if rule.retrain_via is not None:
            return rule.retrain_via
        return next(n for n, c in self.notifiers.items() if c.type == "retrain")

    def resolve_path(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return Path(os.path.normpath(candidate if candidate.is_absolute() else self.base_dir / candidate))

    def database_url(self) -> str:
        url = os.environ.get(DATABASE_URL_ENV) or self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
            relative = url[len(prefix) :]
            if relative and relative != ":memory:":
                return prefix + str(self.resolve_path(relative))
        return url

    def public_url(self) -> str:
        return (self.server.public_url or f"http://{self.server.host}:{self.server.port}").rstrip("/")


def interpolate_env(
    value: Any, env: Mapping[str, str], path: str = "", missing: list[tuple[str, str]] | None = None
) -> Any:
    """Replace `${VAR}` and `${VAR:-default}` in every string of a parsed YAML tree.

    An unset variable without a default is an error at its path: collected into `missing` when
    given (so validation can still report everything else), raised at once otherwise."""
    if isinstance(value, dict):
        return {k: interpolate_env(v, env, _join(path, k), missing) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate_env(v, env, f"{path}[{i}]", missing) for i, v in enumerate(value)]
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            error = (path, f"environment variable {name} is not set")
            if missing is None:
                raise ConfigError([error])
            missing.append(error)
            return ""

        return _ENV_PATTERN.sub(substitute, value)
    return value


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


_UNION_TAGS = {"files", "sql", "ingest", "period", "log", "slack", "webhook", "retrain"}


def _is_union_slot(loc: tuple[int | str, ...], i: int) -> bool:
    """Whether loc[i] is the member pydantic names inside a source or notifier union, not a user's key
    (a notifier may well be called `slack`)."""
    return (i >= 1 and loc[i - 1] in ("source", "reference")) or (i >= 2 and loc[i - 2] == "notifiers")


def _error_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _UNION_TAGS and _is_union_slot(loc, i):
            continue  # pydantic names the union member it tried; the user never wrote that
        else:
            path = _join(path, "for" if part == "for_" else part)
    return path


def parse_config(data: Any, *, base_dir: Path, env: Mapping[str, str] | None = None) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([("", "the file must hold a mapping (key: value) at the top level")])
    missing: list[tuple[str, str]] = []
    data = interpolate_env(data, os.environ if env is None else env, missing=missing)
    try:
        config = Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        errors = list(missing)
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            loc = err["loc"]
            if message.startswith("monitors."):  # cross-field check that names its own path
                where, _, message = message.partition(": ")
                errors.append((where, message))
                continue
            if err["type"] == "union_tag_invalid" or err["type"] == "union_tag_not_found":
                message = message.replace("tag", "type")
            where = _error_path(loc)
            if not any(where == path for path, _ in missing):  # the unset variable says it already
                errors.append((where, message))
        raise ConfigError(errors) from None
    if missing:
        raise ConfigError(missing)
    return config


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> Config:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([("", f"cannot read {file}: {exc.strerror or exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([("", f"{file} is not valid YAML: {exc}")]) from None
    return parse_config(data, base_dir=file.resolve().parent, env=env)
