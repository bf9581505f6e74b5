"""The YAML configuration file: pydantic models, `${VAR}` interpolation, readable error paths.

Relative paths in the file (data files, a SQLite database) are resolved against the directory
the file is in, as docker-compose does, so a config works from any working directory.

The sections live in submodules (_base, sources, drift, alerts, monitors); every public name is
re-exported here, so `from monitor.config import X` is the one way in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from monitor.config._base import (
    DATABASE_URL_ENV,
    ConfigError,
    Duration,
    _error_path,
    _Strict,
    interpolate_env,
    parse_duration,
)
from monitor.config.actions import (
    ACTIONS,
    Action,
    ActionChannelConfig,
    MlflowRegistryConfig,
    PromoteNotifierConfig,
    RetrainNotifierConfig,
    RollbackNotifierConfig,
    action_channel,
    check_action_rules,
)
from monitor.config.alerts import (
    DEFAULT_MIN_LABEL_COVERAGE,
    FINDING_CHECKS,
    HEALTH_MEASURES,
    RESERVED_LABELS,
    AlertingConfig,
    AlertRuleConfig,
    BaselineConfig,
    ChannelConfig,
    Comparison,
    LogNotifierConfig,
    NotifierConfig,
    RunsConfig,
    SlackNotifierConfig,
    WebhookNotifierConfig,
)
from monitor.config.auth import AuthConfig, ConfiguredKeyConfig, Scope
from monitor.config.compute import ComputeConfig, dask_limits
from monitor.config.deployments import (
    CANARY_METRICS,
    MISSING_VALUE,
    OTHER_SEGMENT,
    CanaryConfig,
    SegmentsConfig,
    ServingConfig,
)
from monitor.config.drift import ColumnDriftConfig, DriftConfig, LearnedThresholdConfig, ThresholdSetting
from monitor.config.estimation import EstimationConfig, estimable, worse_when
from monitor.config.monitors import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    ColumnType,
    LabelsConfig,
    MetricName,
    ModelSchemaConfig,
    MonitorConfig,
    QualityConfig,
    ScheduleConfig,
    Task,
    WindowConfig,
)
from monitor.config.reports import ReportsConfig
from monitor.config.retention import RetentionConfig
from monitor.config.roles import (
    RoleColumn,
    estimation_columns,
    feature_columns,
    role_column_names,
    role_columns,
    window_columns,
)
from monitor.config.sources import (
    FilesSourceConfig,
    IngestSourceConfig,
    PeriodReferenceConfig,
    ReferenceConfig,
    SourceConfig,
    SqlSourceConfig,
)

__all__ = [
    "ACTIONS",
    "CANARY_METRICS",
    "CLASSIFICATION_METRICS",
    "DATABASE_URL_ENV",
    "DEFAULT_MIN_LABEL_COVERAGE",
    "FINDING_CHECKS",
    "HEALTH_MEASURES",
    "MISSING_VALUE",
    "OTHER_SEGMENT",
    "REGRESSION_METRICS",
    "RESERVED_LABELS",
    "Action",
    "ActionChannelConfig",
    "AlertRuleConfig",
    "AlertingConfig",
    "AuthConfig",
    "BaselineConfig",
    "CanaryConfig",
    "ChannelConfig",
    "ColumnDriftConfig",
    "ColumnType",
    "Comparison",
    "ComputeConfig",
    "Config",
    "ConfigError",
    "ConfiguredKeyConfig",
    "DatabaseConfig",
    "DriftConfig",
    "Duration",
    "EstimationConfig",
    "FilesSourceConfig",
    "IngestConfig",
    "IngestSourceConfig",
    "LabelsConfig",
    "LearnedThresholdConfig",
    "LogNotifierConfig",
    "MetricName",
    "MlflowRegistryConfig",
    "ModelSchemaConfig",
    "MonitorConfig",
    "NotifierConfig",
    "PeriodReferenceConfig",
    "PromoteNotifierConfig",
    "QualityConfig",
    "ReferenceConfig",
    "ReportsConfig",
    "RetentionConfig",
    "RetrainNotifierConfig",
    "RoleColumn",
    "RollbackNotifierConfig",
    "RunsConfig",
    "ScheduleConfig",
    "Scope",
    "SegmentsConfig",
    "ServerConfig",
    "ServingConfig",
    "SlackNotifierConfig",
    "SourceConfig",
    "SqlSourceConfig",
    "Task",
    "ThresholdSetting",
    "WebhookNotifierConfig",
    "WindowConfig",
    "dask_limits",
    "estimable",
    "estimation_columns",
    "feature_columns",
    "interpolate_env",
    "load_config",
    "parse_config",
    "parse_duration",
    "role_column_names",
    "role_columns",
    "window_columns",
    "worse_when",
]


class IngestConfig(_Strict):
    """Limits of POST /api/v1/models/{model}/predictions and /ground-truth."""

    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    max_rows: int = Field(100_000, ge=1)
    # A pushed row's time (a prediction's, a label's) must lie within this far back and ahead of now.
    max_row_age: Duration = timedelta(days=400)
    max_row_ahead: Duration = timedelta(hours=1)


class DatabaseConfig(_Strict):
    url: str = "sqlite:///monitor.db"


class ServerConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # Where links in notifications point; defaults to http://host:port (https with TLS).
    public_url: str | None = None
    # TLS served by `monitor serve` itself, for a deployment without a reverse proxy (PEM files).
    tls_cert: str | None = None
    tls_key: str | None = None

    @model_validator(mode="after")
    def _tls_pair(self) -> ServerConfig:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("TLS needs both `tls_cert` and `tls_key`")
        return self


class Config(_Strict):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    notifiers: dict[str, NotifierConfig] = Field(default_factory=dict)
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    runs: RunsConfig = Field(default_factory=RunsConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    monitors: dict[str, MonitorConfig] = Field(default_factory=dict)
    # Directory of the config file; relative paths resolve against it. Set by load_config.
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @model_validator(mode="after")
    def _notifiers_exist(self) -> Config:
        check_action_rules(self.notifiers, self.monitors)
        return self

    @model_validator(mode="after")
    def _dask_computes_what_is_asked(self) -> Config:
        for name, monitor in self.monitors.items():
            for setting, why in dask_limits(monitor):
                raise ValueError(f"monitors.{name}.{setting}: {why}")
        return self

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Config:
        # A lease shorter than a send lets a second dispatcher take the row mid-send: posted twice.
        lease = self.alerting.dispatch_lease.total_seconds()
        for name, notifier in self.notifiers.items():
            timeout = getattr(notifier, "longest_send", getattr(notifier, "timeout", None))
            if timeout is not None and lease <= timeout:
                plain = timeout == getattr(notifier, "timeout", None)
                what = "timeout" if plain else "longest send (its webhook's and MLflow calls' timeouts)"
                raise ValueError(
                    f"alerting.dispatch_lease: {lease:g}s is not above the {what} of notifier {name!r} "
                    f"({timeout:g}s); a delivery could outlive its lease and be sent twice"
                )
        return self

    @model_validator(mode="after")
    def _pushed_rows_outlive_their_labels(self) -> Config:
        keep = self.retention.ingested_rows
        for name, monitor in self.monitors.items():
            if keep is None or monitor.source.type != "ingest":
                continue
            reach = monitor.window.length or monitor.window.size
            needed = reach + (monitor.labels.horizon if monitor.labels else timedelta(0))
            if keep <= needed:
                raise ValueError(
                    f"retention.ingested_rows: {keep} would remove rows of monitor {name!r} whose windows "
                    f"still wait for labels; keep them longer than its window plus label horizon ({needed})"
                )
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

    def action_channel(self, rule: AlertRuleConfig) -> str | None:
        """The channel a rule's action calls (retrain, rollback, promote), or None without an action."""
        return action_channel(self.notifiers, rule)

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

    def reports_directory(self) -> Path:
        """Where the daily reports are written (monitor/services/report_files.py)."""
        return self.resolve_path(self.reports.directory)

    def public_url(self) -> str:
        scheme = "https" if self.server.tls_cert else "http"
        return (self.server.public_url or f"{scheme}://{self.server.host}:{self.server.port}").rstrip("/")


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
