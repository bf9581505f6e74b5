"""The columns a monitor's config names for a role (time, id, outputs, labels): the one list of them.

Everything that must tell features from other columns uses it: the default feature list (every other
column of the reference), data-quality checks, pushed-row schemas and `config validate --check-sources`.
A role added to the config is added here, and every one of those follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from monitor.config.monitors import MonitorConfig

Stream = Literal["predictions", "labels", "reference"]
Role = Literal["time", "id", "prediction", "score", "label", "segment", "serving"]


@dataclass(frozen=True)
class RoleColumn:
    column: str
    role: Role
    stream: Stream  # the source whose rows hold it
    path: str  # where the monitor's config names it, e.g. "labels.label_column"
    # False for a default the user never wrote (`prediction`, `score`): data without it is not wrong,
    # the metrics needing it are just not computed.
    required: bool = True


def role_columns(monitor: MonitorConfig) -> list[RoleColumn]:
    """Every column the monitor's config gives a role, in the order the config names them."""
    schema = monitor.schema_
    written = schema.model_fields_set
    found = [
        RoleColumn(schema.timestamp_column, "time", "predictions", "schema.timestamp_column"),
        RoleColumn(schema.id_column, "id", "predictions", "schema.id_column"),
    ]
    if schema.prediction_column:
        found.append(
            RoleColumn(
                schema.prediction_column,
                "prediction",
                "predictions",
                "schema.prediction_column",
                required="prediction_column" in written,
            )
        )
    if schema.score_column:
        found.append(
            RoleColumn(
                schema.score_column,
                "score",
                "predictions",
                "schema.score_column",
                required="score_column" in written,
            )
        )
    for label, column in (schema.class_score_columns or {}).items():
        found.append(RoleColumn(column, "score", "predictions", f"schema.class_score_columns.{label}"))
    for i, column in enumerate(monitor.segments.by if monitor.segments else ()):
        found.append(RoleColumn(column, "segment", "predictions", f"segments.by[{i}]"))
    for field in ("latency_column", "error_column"):
        column = getattr(monitor.serving, field)
        if column:
            found.append(RoleColumn(column, "serving", "predictions", f"serving.{field}"))
    labels = monitor.labels
    if labels is not None:
        found.append(RoleColumn(labels.id_column, "id", "labels", "labels.id_column"))
        found.append(RoleColumn(labels.label_column, "label", "labels", "labels.label_column"))
        if labels.timestamp_column:
            found.append(RoleColumn(labels.timestamp_column, "time", "labels", "labels.timestamp_column"))
    return found


def estimation_columns(monitor: MonitorConfig) -> list[RoleColumn]:
    """The reference columns the monitor's performance estimator learns from (`estimation:`, see
    monitor.metrics.estimator): the labels, the prediction, and the score (binary) or each class's
    score (multiclass); regression's DLE needs no score. Empty without `estimation:`."""
    if monitor.estimation is None:
        return []
    schema = monitor.schema_
    if monitor.estimation.label_column:
        where = "estimation.label_column"
    else:
        where = "labels.label_column" if monitor.labels is not None else "estimation"
    found = [RoleColumn(monitor.estimation_label(), "label", "reference", where)]
    if schema.prediction_column:
        found.append(
            RoleColumn(schema.prediction_column, "prediction", "reference", "schema.prediction_column")
        )
    if monitor.task == "binary_classification" and schema.score_column:
        found.append(RoleColumn(schema.score_column, "score", "reference", "schema.score_column"))
    for label, column in (schema.class_score_columns or {}).items():
        found.append(RoleColumn(column, "score", "reference", f"schema.class_score_columns.{label}"))
    return found


def role_column_names(monitor: MonitorConfig) -> set[str]:
    """The names of every role column: what is never a feature."""
    return {role.column for role in role_columns(monitor)}


def window_columns(monitor: MonitorConfig) -> set[str] | None:
    """The columns a run uses of its window: the listed features and every role column; None when
    `schema.features` is not listed, since then any column may be a feature."""
    if monitor.schema_.features is None:
        return None
    return set(monitor.schema_.features) | role_column_names(monitor)


def feature_columns(monitor: MonitorConfig, reference_columns: Iterable[str]) -> list[str]:
    """`schema.features` when listed; else every column of the reference the config does not name for
    another role (a label time column in a training set is no feature)."""
    if monitor.schema_.features is not None:
        return list(monitor.schema_.features)
    roles = role_column_names(monitor)
    return [str(c) for c in reference_columns if c not in roles]
