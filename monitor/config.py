"""The YAML configuration file: pydantic models, `${VAR}` interpolation, readable error paths.

Relative paths in the file (data files, a SQLite database) are resolved against the directory
the file is in, as docker-compose does, so a config works from any working directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
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
    """Parquet or CSV files; `path` may be a glob."""

    type: Literal["files"]
    path: str
    format: Literal["auto", "parquet", "csv"] = "auto"


SourceConfig = Annotated[FilesSourceConfig, Field(discriminator="type")]


class LabelsConfig(_Strict):
    source: SourceConfig
    id_column: str = "prediction_id"
    label_column: str = "label"
    # When the label became known; labels not yet known at a run's time are not used.
    timestamp_column: str | None = "labelled_at"


class WindowConfig(_Strict):
    size: Duration = timedelta(days=1)
    timezone: str = "UTC"

    @field_validator("size")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration such as 1h or 1d")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class ScheduleConfig(_Strict):
    # Run when a window has closed and this much time has passed (lets late rows land).
    delay: Duration = timedelta(minutes=5)
    # Cron expression (5 fields) overriding "every window close"; evaluated in the window's zone.
    cron: str | None = None
    enabled: bool = True


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


class ModelSchemaConfig(_Strict):
    timestamp_column: str = "timestamp"
    id_column: str = "prediction_id"
    prediction_column: str | None = "prediction"
    score_column: str | None = "score"
    # None: every column that is not the timestamp, id, prediction or score.
    features: list[str] | None = None


Comparison = Literal[">", ">=", "<", "<="]


class AlertRuleConfig(_Strict):
    name: str
    signal: Literal["drift_share", "column_drift", "metric", "row_count"]
    metric: str | None = None
    column: str | None = None
    op: Comparison = ">="
    threshold: float
    for_: int = Field(1, alias="for", ge=1)
    severity: Literal["info", "warning", "critical"] = "warning"
    labels: dict[str, str] = Field(default_factory=dict)
    notify: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _signal_fields(self) -> AlertRuleConfig:
        if self.signal == "metric" and not self.metric:
            raise ValueError("signal 'metric' needs `metric` (for example roc_auc)")
        return self


class LogNotifierConfig(_Strict):
    type: Literal["log"]
    level: Literal["INFO", "WARNING", "ERROR"] = "WARNING"


NotifierConfig = Annotated[LogNotifierConfig, Field(discriminator="type")]


MetricName = Literal["accuracy", "roc_auc"]
_DEFAULT_METRICS: tuple[MetricName, ...] = ("accuracy", "roc_auc")


class MonitorConfig(_Strict):
    model: str
    description: str = ""
    source: SourceConfig
    labels: LabelsConfig | None = None
    reference: SourceConfig
    schema_: ModelSchemaConfig = Field(default_factory=ModelSchemaConfig, alias="schema")
    window: WindowConfig = Field(default_factory=WindowConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)
    task: Literal["binary_classification"] = "binary_classification"
    metrics: list[MetricName] = Field(default_factory=lambda: list(_DEFAULT_METRICS))
    alerts: list[AlertRuleConfig] = Field(default_factory=list)


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
    notifiers: dict[str, NotifierConfig] = Field(default_factory=dict)
    monitors: dict[str, MonitorConfig] = Field(default_factory=dict)
    # Directory of the config file; relative paths resolve against it. Set by load_config.
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @model_validator(mode="after")
    def _notifiers_exist(self) -> Config:
        for name, monitor in self.monitors.items():
            for i, rule in enumerate(monitor.alerts):
                for channel in rule.notify:
                    if channel not in self.notifiers:
                        known = ", ".join(sorted(self.notifiers)) or "none configured"
                        raise ValueError(
                            f"monitors.{name}.alerts[{i}].notify: unknown notifier {channel!r} "
                            f"(known: {known})"
                        )
        return self

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


def interpolate_env(value: Any, env: Mapping[str, str], path: str = "") -> Any:
    """Replace `${VAR}` and `${VAR:-default}` in every string of a parsed YAML tree."""
    if isinstance(value, dict):
        return {k: interpolate_env(v, env, _join(path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate_env(v, env, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError([(path, f"environment variable {name} is not set")])

        return _ENV_PATTERN.sub(substitute, value)
    return value


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


_UNION_TAGS = {"files", "log"}


def _error_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _UNION_TAGS and i > 0:
            continue  # pydantic names the union member it tried; the user never wrote that
        else:
            path = _join(path, "for" if part == "for_" else part)
    return path


def parse_config(data: Any, *, base_dir: Path, env: Mapping[str, str] | None = None) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([("", "the file must hold a mapping (key: value) at the top level")])
    data = interpolate_env(data, os.environ if env is None else env)
    try:
        return Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            loc = err["loc"]
            if message.startswith("monitors."):  # cross-field check that names its own path
                where, _, message = message.partition(": ")
                errors.append((where, message))
                continue
            if err["type"] == "union_tag_invalid" or err["type"] == "union_tag_not_found":
                message = message.replace("tag", "type")
            errors.append((_error_path(loc), message))
        raise ConfigError(errors) from None


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
