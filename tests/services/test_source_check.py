"""`config validate --check-sources`: every monitor's sources opened, every mistake reported at its path
in one pass."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.services.source_check import MonitorCheck, check_sources, missing_files
from monitor.sources.ingest import prediction_schema
from monitor.sources.ingest_columns import records_rows
from monitor.sources.ingest_rows import validate_rows
from monitor.store import make_engine, make_session_factory, upgrade_database
from monitor.store.ingest import insert_predictions
from tests.conftest import ConfigFactory, monitor_config


def findings(checks: list[MonitorCheck]) -> dict[str, str]:
    return {f.path: f.message for check in checks for f in check.findings}


def broken_config(monitor_files: Path) -> dict[str, Any]:
    """Two monitors on the conftest files with every mistake users make; the files are rewritten so
    the labels name their column `outcome` and the reference is a training set."""
    labels = pd.read_parquet(monitor_files / "labels.parquet").rename(columns={"label": "outcome"})
    labels.to_parquet(monitor_files / "labels.parquet")
    reference = pd.read_parquet(monitor_files / "reference.parquet")
    reference.assign(labelled_at=pd.Timestamp("2026-05-01", tz="UTC"), target=1).to_parquet(
        monitor_files / "training.parquet"
    )
    data = monitor_config("sqlite:///monitor.db")
    good = data["monitors"].pop("m")
    data["monitors"]["churn"] = {
        **good,
        "labels": {"source": good["labels"]["source"]},
        "reference": {"type": "files", "path": "training.parquet"},
        "schema": {"types": {"y": "integer"}},  # y holds fractions
    }
    data["monitors"]["credit"] = {
        **good,
        "source": {"type": "files", "path": "nowhere/*.parquet"},
        "labels": {
            "source": good["labels"]["source"],
            "label_column": "outcome",
            "timestamp_column": "known_at",
        },
        "schema": {"features": ["x", "y", "income"]},
    }
    return data


def test_every_mistake_of_every_monitor_in_one_pass(monitor_files: Path, write_config: ConfigFactory) -> None:
    checks = check_sources(write_config(broken_config(monitor_files)))
    assert [c.monitor for c in checks] == ["churn", "credit"]
    found = findings(checks)
    assert found == {
        "monitors.churn.labels.label_column": "column 'label' is not in the label source "
        "(it has: prediction_id, outcome, labelled_at)",
        "monitors.credit.labels.timestamp_column": "column 'known_at' is not in the label source "
        "(it has: prediction_id, outcome, labelled_at)",
        "monitors.churn.schema.features": found["monitors.churn.schema.features"],
        "monitors.churn.schema.types.y": found["monitors.churn.schema.types.y"],
        "monitors.credit.source.path": f"no file matches {monitor_files / 'nowhere/*.parquet'}",
        "monitors.credit.schema.features[2]": "column 'income' is not in the reference "
        "(it has: x, y, colour)",
    }
    # The training set's label time is no feature; its target is, and the log lacks it.
    assert "'target' is not in the prediction source" in found["monitors.churn.schema.features"]
    assert "labelled_at" not in found["monitors.churn.schema.features"].split("(it has")[0]
    assert found["monitors.churn.schema.types.y"].startswith(
        "declared integer, but column 'y' of the prediction source holds numbers with fractions (e.g. "
    )
    assert missing_files(write_config(broken_config(monitor_files))) == [
        f for c in checks for f in c.findings if f.path == "monitors.credit.source.path"
    ]


def test_a_correct_config_passes_and_says_what_it_read(
    monitor_files: Path, write_config: ConfigFactory
) -> None:
    data = monitor_config("sqlite:///monitor.db")
    data["monitors"]["m"]["schema"]["types"] = {"x": "number", "colour": "string", "label": "integer"}
    (check,) = check_sources(write_config(data), sample_rows=50)
    assert check.ok, check.findings
    assert check.rows == {"predictions": 50, "reference": 50, "labels": 50}


def test_times_scores_and_an_empty_reference(monitor_files: Path, write_config: ConfigFactory) -> None:
    log = pd.read_parquet(monitor_files / "predictions.parquet")
    log.assign(timestamp="yesterday", score="high").to_csv(monitor_files / "log.csv", index=False)
    pd.read_parquet(monitor_files / "reference.parquet").iloc[0:0].to_parquet(monitor_files / "empty.parquet")
    data = monitor_config("sqlite:///monitor.db")
    data["monitors"]["m"].update(
        source={"type": "files", "path": "log.csv"},
        reference={"type": "files", "path": "empty.parquet"},
        task="regression",
        metrics=["mae"],
        schema={"features": ["x"], "score_column": "score"},
    )
    labels = pd.read_parquet(monitor_files / "labels.parquet")
    labels.assign(label="yes").to_parquet(monitor_files / "labels.parquet")
    found = findings(check_sources(write_config(data)))
    assert found == {
        "monitors.m.reference": "holds no rows; drift has nothing to compare with",
        # Files are filtered on the time column by Arrow: text there fails every run.
        "monitors.m.schema.timestamp_column": "time column 'timestamp' holds string, not timestamps",
        "monitors.m.schema.score_column": "column 'score' of the prediction source holds values that are "
        "not numbers (e.g. 'high')",
        "monitors.m.labels.label_column": "column 'label' of the label source holds values that are not "
        "numbers (e.g. 'yes')",
    }


@pytest.fixture
def sql_log(db_url: str, monitor_files: Path) -> str:
    """The conftest log, labels and reference as tables of the test database."""
    engine = sa.create_engine(db_url)
    for name in ("predictions", "labels", "reference"):
        pd.read_parquet(monitor_files / f"{name}.parquet").to_sql(name, engine, index=False)
    engine.dispose()
    return db_url


def sql_config(url: str, *, label: str = "label") -> dict[str, Any]:
    data = monitor_config("sqlite:///monitor.db")
    data["monitors"]["m"].update(
        source={"type": "sql", "url": url, "table": "predictions"},
        reference={"type": "sql", "url": url, "query": "SELECT * FROM reference"},
        labels={
            "source": {
                "type": "sql",
                "url": url,
                "query": "SELECT * FROM labels WHERE labelled_at >= :start AND labelled_at < :end",
            },
            "label_column": label,
        },
    )
    return data


def test_sql_sources_are_read_and_checked(sql_log: str, write_config: ConfigFactory) -> None:
    (check,) = check_sources(write_config(sql_config(sql_log)), sample_rows=10)
    assert check.ok, check.findings
    assert check.rows == {"predictions": 10, "reference": 10, "labels": 10}
    (check,) = check_sources(write_config(sql_config(sql_log, label="outcome")))
    assert findings([check]) == {
        "monitors.m.labels.label_column": "column 'outcome' is not in the label source "
        "(it has: prediction_id, label, labelled_at)"
    }


def test_an_unreachable_database_is_said_without_its_password(write_config: ConfigFactory) -> None:
    url = "postgresql+psycopg://monitor:s3cret@127.0.0.1:1/ml"
    found = findings(check_sources(write_config(sql_config(url))))
    assert set(found) == {"monitors.m.source", "monitors.m.reference", "monitors.m.labels.source"}
    for message in found.values():
        assert "monitor:***@127.0.0.1:1/ml" in message and "s3cret" not in message


def test_pushed_rows_are_read_from_the_service_database(db_url: str, write_config: ConfigFactory) -> None:
    data = monitor_config(db_url)
    data["monitors"]["m"].update(source={"type": "ingest"}, labels={"source": {"type": "ingest"}})
    config = write_config(data)
    before = findings(check_sources(config))
    assert set(before) == {"monitors.m.source", "monitors.m.labels.source", "monitors.m.reference.path"}
    assert "ingested_predictions" in before["monitors.m.source"]  # no such table: not migrated
    upgrade_database(config.database_url())
    now = datetime(2026, 6, 1, tzinfo=UTC)
    rows = [{"prediction_id": f"p{i}", "timestamp": "2026-06-01T00:00:00Z", "x": 1.0} for i in range(5)]
    sessions = make_session_factory(make_engine(config.database_url()))
    records = validate_rows(rows, prediction_schema(config.monitors["m"]))
    insert_predictions(sessions, records_rows(records), model="toy", now=now)
    sessions.kw["bind"].dispose()
    (check,) = check_sources(config, sample_rows=3)
    assert set(findings([check])) == {"monitors.m.reference.path"} and check.rows["predictions"] == 3


def test_estimation_needs_the_labels_and_outputs_in_the_reference(
    monitor_files: Path, write_config: ConfigFactory
) -> None:
    """The conftest reference is features only: `estimation:` could learn nothing from it."""
    data = monitor_config("sqlite:///monitor.db")
    data["monitors"]["m"].update(metrics=["accuracy"], estimation={})
    has = "(it has: x, y, colour)"
    assert findings(check_sources(write_config(data))) == {
        "monitors.m.labels.label_column": f"column 'label' is not in the reference {has}; `estimation:` "
        "learns from the labels in the reference, so no window would be estimated",
        "monitors.m.schema.prediction_column": f"column 'prediction' is not in the reference {has}; "
        "`estimation:` learns from the model's predictions in the reference, so no window would be estimated",
        "monitors.m.schema.score_column": f"column 'score' is not in the reference {has}; `estimation:` "
        "learns from the model's scores in the reference, so no window would be estimated",
    }
    # A labelled validation set with the model's outputs: nothing to say; a score that is text is said.
    reference = pd.read_parquet(monitor_files / "reference.parquet")
    scored = reference.assign(score=0.4, prediction=0, label=[0, 1] * (len(reference) // 2))
    scored.to_parquet(monitor_files / "reference.parquet")
    assert findings(check_sources(write_config(data))) == {}
    scored.assign(score="high").to_parquet(monitor_files / "reference.parquet")
    assert findings(check_sources(write_config(data))) == {
        "monitors.m.schema.score_column": "column 'score' of the reference holds values that are not "
        "numbers (e.g. 'high')"
    }
    # Without `estimation:` the reference needs neither.
    reference.to_parquet(monitor_files / "reference.parquet")
    data["monitors"]["m"].pop("estimation")
    assert findings(check_sources(write_config(data))) == {}


def test_a_multiclass_estimate_needs_each_class_score_and_its_own_label_column(
    monitor_files: Path, write_config: ConfigFactory
) -> None:
    reference = pd.read_parquet(monitor_files / "reference.parquet")
    reference.assign(tier="a", prediction="a", p_a=0.7).to_parquet(monitor_files / "reference.parquet")
    data = monitor_config("sqlite:///monitor.db")
    data["monitors"]["m"].update(
        task="multiclass_classification",
        metrics=["accuracy"],
        schema={
            "features": ["x", "y"],
            "score_column": None,
            "class_score_columns": {"a": "p_a", "b": "p_b"},
        },
        estimation={"label_column": "tier"},
    )
    (check,) = check_sources(write_config(data))
    # The log has no class scores (both said of the prediction source); the reference lacks p_b.
    assert [(f.path.removeprefix("monitors.m."), f.message.split(" (it has")[0]) for f in check.findings] == [
        ("schema.class_score_columns.a", "column 'p_a' is not in the prediction source"),
        ("schema.class_score_columns.b", "column 'p_b' is not in the prediction source"),
        ("schema.class_score_columns.b", "column 'p_b' is not in the reference"),
    ]
    assert check.findings[-1].message.endswith(
        "(it has: x, y, colour, tier, prediction, p_a); `estimation:` learns from the model's scores in "
        "the reference, so no window would be estimated"
    )
    # The label column is estimation's own `tier`, which the reference has: not said.
