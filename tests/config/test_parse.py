from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from monitor.config import ConfigError, load_config, parse_config
from monitor.windows import WindowGrid

REPO = Path(__file__).resolve().parents[2]


def minimal(**monitor: Any) -> dict[str, Any]:
    return {
        "notifiers": {"log": {"type": "log"}},
        "monitors": {
            "credit": {
                "model": "m",
                "source": {"type": "files", "path": "preds.parquet"},
                "reference": {"type": "files", "path": "ref.parquet"},
                **monitor,
            }
        },
    }


def errors_of(data: dict[str, Any], env: dict[str, str] | None = None) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, base_dir=Path("/cfg"), env=env or {})
    return info.value.errors


def test_demo_config_is_valid() -> None:
    config = load_config(REPO / "config" / "demo.yaml", env={})
    monitor = config.monitors["credit-default"]
    assert monitor.window.size.days == 1
    assert monitor.alerts[1].for_ == 2
    assert config.server.port == 8000  # ${MONITOR_PORT:-8000} took its default
    assert config.database_url() == f"sqlite:///{REPO / 'data' / 'monitor.db'}"


def test_error_path_names_list_index_and_alias() -> None:
    data = minimal(
        alerts=[
            {"name": "a", "signal": "drift_share", "threshold": 0.3},
            {"name": "b", "signal": "drift_share", "threshold": 0.3, "for": 0},
        ]
    )
    ((path, message),) = errors_of(data)
    assert path == "monitors.credit.alerts[1].for"
    assert "greater than or equal to 1" in message


def test_every_error_is_reported_at_once() -> None:
    data = minimal(window={"size": "soon", "timezone": "Mars/Olympus"}, colour="blue")
    paths = sorted(path for path, _ in errors_of(data))
    assert paths == [
        "monitors.credit.colour",
        "monitors.credit.window.size",
        "monitors.credit.window.timezone",
    ]


def test_unknown_source_type_is_named() -> None:
    data = minimal()
    data["monitors"]["credit"]["source"] = {"type": "ftp", "path": "x"}
    ((path, message),) = errors_of(data)
    assert path == "monitors.credit.source"
    assert "ftp" in message and "files" in message


def test_unknown_notifier_in_rule() -> None:
    data = minimal(alerts=[{"name": "a", "signal": "drift_share", "threshold": 0.3, "notify": ["pager"]}])
    ((path, message),) = errors_of(data)
    assert path == "monitors.credit.alerts[0].notify"
    assert "pager" in message and "log" in message


def test_metric_rule_needs_a_metric() -> None:
    ((path, message),) = errors_of(minimal(alerts=[{"name": "a", "signal": "metric", "threshold": 0.7}]))
    assert path == "monitors.credit.alerts[0]"
    assert "needs `metric`" in message


def test_env_interpolation_and_default() -> None:
    data = minimal()
    data["database"] = {"url": "postgresql+psycopg://u:${DB_PASS}@h/${DB_NAME:-mon}"}
    config = parse_config(data, base_dir=Path("/cfg"), env={"DB_PASS": "s3cret"})
    assert config.database.url == "postgresql+psycopg://u:s3cret@h/mon"


def test_missing_env_variable_is_an_error_with_its_path() -> None:
    data = minimal()
    data["database"] = {"url": "${NOPE}"}
    ((path, message),) = errors_of(data)
    assert path == "database.url"
    assert "NOPE" in message


def test_database_url_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config(minimal(), base_dir=Path("/cfg"), env={})
    assert config.database_url() == "sqlite:////cfg/monitor.db"
    monkeypatch.setenv("MONITOR_DATABASE_URL", "postgresql+psycopg://x@y/z")
    assert config.database_url() == "postgresql+psycopg://x@y/z"


def test_relative_paths_resolve_against_the_config_file() -> None:
    config = parse_config(minimal(), base_dir=Path("/etc/monitor"), env={})
    assert config.resolve_path("data/x.parquet") == Path("/etc/monitor/data/x.parquet")
    assert config.resolve_path("/abs/x.parquet") == Path("/abs/x.parquet")


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("monitors: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")


def test_bad_cron_is_reported_with_its_path() -> None:
    ((path, message),) = errors_of(minimal(schedule={"cron": "every tuesday"}))
    assert path == "monitors.credit.schedule.cron"
    assert "cron" in message


def test_sql_source_needs_a_table_or_a_query_not_both() -> None:
    data = minimal(source={"type": "sql", "url": "sqlite:///x.db", "table": "t", "query": "SELECT 1"})
    ((path, message),) = errors_of(data)
    assert path == "monitors.credit.source" and "exactly one of `table` or `query`" in message
    ok = parse_config(
        minimal(source={"type": "sql", "url": "sqlite:///x.db", "table": "log"}), base_dir=Path("/")
    )
    assert ok.monitors["credit"].source.type == "sql"


def test_a_reference_period_must_end_after_it_starts_and_is_utc_by_default() -> None:
    period = {"type": "period", "start": "2026-01-10", "end": "2026-01-03"}
    ((path, message),) = errors_of(minimal(reference=period))
    assert path == "monitors.credit.reference" and "after `start`" in message
    config = parse_config(
        minimal(reference={**period, "end": "2026-02-01T00:00:00"}), base_dir=Path("/"), env={}
    )
    reference = config.monitors["credit"].reference
    assert reference.type == "period" and reference.start.tzinfo is not None


def test_metrics_default_to_the_task_and_must_fit_it() -> None:
    config = parse_config(minimal(task="regression"), base_dir=Path("/"), env={})
    assert config.monitors["credit"].metrics == ["mae", "rmse", "mape", "r2"]
    ((path, message),) = errors_of(minimal(task="regression", metrics=["roc_auc"]))
    assert path == "monitors.credit" and "roc_auc" in message and "regression" in message
    ((_, message),) = errors_of(minimal(task="multiclass_classification", metrics=["log_loss"]))
    assert "class_score_columns" in message


def test_pushed_rows_need_declared_features_and_one_schema_per_model() -> None:
    ((path, message),) = errors_of(minimal(source={"type": "ingest"}))
    assert path == "monitors.credit" and "schema.features" in message
    data = minimal(source={"type": "ingest"}, schema={"features": ["a"]})
    data["monitors"]["other"] = {**data["monitors"]["credit"], "schema": {"features": ["b"]}}
    ((path, message),) = errors_of(data)
    assert path == "monitors.other.schema" and "one model has one schema" in message


def test_a_rolling_window_covers_at_least_one_step() -> None:
    ((path, message),) = errors_of(minimal(window={"size": "1d", "length": "12h"}))
    assert path == "monitors.credit.window" and "at least `size`" in message
    config = parse_config(minimal(window={"size": "1d", "length": "30d"}), base_dir=Path("/"), env={})
    assert config.monitors["credit"].window.length is not None


def test_unset_variables_and_other_errors_are_all_reported() -> None:
    data = minimal(
        window={"size": "${WINDOW}"}, alerts=[{"name": "a", "signal": "drift_share", "threshold": "high"}]
    )
    data["notifiers"]["log"]["level"] = "${LEVEL}"
    errors = dict(errors_of(data))
    assert errors == {
        "notifiers.log.level": "environment variable LEVEL is not set",
        "monitors.credit.window.size": "environment variable WINDOW is not set",
        "monitors.credit.alerts[0].threshold": errors["monitors.credit.alerts[0].threshold"],
    }
    assert "number" in errors["monitors.credit.alerts[0].threshold"]


def test_window_anchor_is_a_weekday_in_any_case_or_a_timestamp() -> None:
    def anchor_of(value: object, **window: Any) -> object:
        data = minimal(window={"size": "7d", "anchor": value, **window})
        return parse_config(data, base_dir=Path("/"), env={}).monitors["credit"].window.anchor

    assert anchor_of("Tuesday") == "tuesday"
    assert anchor_of("2024-01-02T06:00", size="1d") == datetime(2024, 1, 2, 6)
    # YAML reads 2024-01-02 as a date: its midnight.
    assert anchor_of(date(2024, 1, 2)) == datetime(2024, 1, 2)
    assert anchor_of("2024-01-02T06:00+02:00") == datetime(2024, 1, 2, 6, tzinfo=timezone(timedelta(hours=2)))


def test_window_anchor_errors_say_what_is_accepted() -> None:
    ((path, message),) = errors_of(minimal(window={"size": "7d", "anchor": "tusday"}))
    assert path == "monitors.credit.window.anchor"
    assert "'tusday' is neither a weekday (monday, tuesday," in message and "ISO 8601" in message
    ((path, message),) = errors_of(minimal(window={"size": "7d", "anchor": "2024-13-40T00:00"}))
    assert path == "monitors.credit.window.anchor" and "neither a weekday" in message
    ((path, message),) = errors_of(minimal(window={"size": "7d", "anchor": 3}))
    assert path == "monitors.credit.window.anchor" and "weekday name" in message
    ((path, message),) = errors_of(minimal(window={"size": "1d", "anchor": "tuesday"}))
    assert path == "monitors.credit.window"
    assert "a weekday anchor (tuesday) needs a step of whole weeks (7d, 14d, ...)" in message


def test_the_window_grid_carries_every_window_setting() -> None:
    data = minimal(window={"size": "7d", "length": "28d", "timezone": "Europe/Berlin", "anchor": "friday"})
    window = parse_config(data, base_dir=Path("/"), env={}).monitors["credit"].window
    assert window.grid() == WindowGrid(timedelta(days=7), "Europe/Berlin", timedelta(days=28), "friday")
