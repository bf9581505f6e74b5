"""The one list of a monitor's role columns, and the default features it leaves."""

from __future__ import annotations

from typing import Any

from monitor.config import MonitorConfig, feature_columns, role_column_names, role_columns


def monitor(**settings: Any) -> MonitorConfig:
    return MonitorConfig.model_validate(
        {
            "model": "toy",
            "source": {"type": "files", "path": "p.parquet"},
            "reference": {"type": "files", "path": "r.parquet"},
            **settings,
        }
    )


def test_every_column_named_for_a_role_is_listed_with_its_path() -> None:
    m = monitor(
        labels={
            "source": {"type": "files", "path": "l.parquet"},
            "id_column": "request_id",
            "label_column": "outcome",
            "timestamp_column": "known_at",
        },
        task="multiclass_classification",
        schema={"class_score_columns": {"a": "p_a", "b": "p_b"}, "score_column": None},
    )
    by_path = {r.path: (r.column, r.role, r.stream, r.required) for r in role_columns(m)}
    assert by_path == {
        "schema.timestamp_column": ("timestamp", "time", "predictions", True),
        "schema.id_column": ("prediction_id", "id", "predictions", True),
        "schema.prediction_column": ("prediction", "prediction", "predictions", False),
        "schema.class_score_columns.a": ("p_a", "score", "predictions", True),
        "schema.class_score_columns.b": ("p_b", "score", "predictions", True),
        "labels.id_column": ("request_id", "id", "labels", True),
        "labels.label_column": ("outcome", "label", "labels", True),
        "labels.timestamp_column": ("known_at", "time", "labels", True),
    }


def test_outputs_written_in_the_file_are_required_defaults_are_not() -> None:
    written = {r.path: r.required for r in role_columns(monitor(schema={"score_column": "proba"}))}
    assert written["schema.score_column"] is True and written["schema.prediction_column"] is False


def test_default_features_leave_out_every_role_column() -> None:
    m = monitor(labels={"source": {"type": "files", "path": "l.parquet"}})
    reference = ["timestamp", "prediction_id", "x", "prediction", "score", "label", "labelled_at", "colour"]
    assert feature_columns(m, reference) == ["x", "colour"]
    assert {"labelled_at", "label", "prediction_id"} <= role_column_names(m)


def test_listed_features_win() -> None:
    m = monitor(schema={"features": ["labelled_at", "x"]})
    assert feature_columns(m, ["x", "y"]) == ["labelled_at", "x"]
