"""Retention settings: ages, `null` for ever, and no age that removes rows still waiting for labels."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config import ConfigError, parse_config


def pushed(retention: dict[str, Any], *, horizon: str = "14d", size: str = "1d") -> dict[str, Any]:
    return {
        "retention": retention,
        "monitors": {
            "pushed": {
                "model": "toy",
                "source": {"type": "ingest"},
                "labels": {"source": {"type": "ingest"}, "horizon": horizon},
                "reference": {"type": "files", "path": "ref.parquet"},
                "window": {"size": size},
                "schema": {"features": ["x"]},
            }
        },
    }


def errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, base_dir=Path("/cfg"), env={})
    return [f"{path}: {message}" for path, message in caught.value.errors]


def test_defaults_keep_rows_90_days_results_400_and_deliveries_90() -> None:
    retention = parse_config({}, base_dir=Path("/cfg"), env={}).retention
    assert (retention.ingested_rows, retention.raw_results, retention.delivery_log) == (
        timedelta(days=90),
        timedelta(days=400),
        timedelta(days=90),
    )
    assert retention.every == timedelta(hours=1) and retention.batch_size == 5000


def test_null_keeps_for_ever() -> None:
    config = parse_config(pushed({"ingested_rows": None, "raw_results": None}), base_dir=Path("/cfg"), env={})
    assert config.retention.ingested_rows is None and config.retention.raw_results is None


def test_an_age_within_the_label_horizon_is_refused() -> None:
    (message,) = errors(pushed({"ingested_rows": "15d"}))  # window 1d + horizon 14d = 15d
    assert "retention.ingested_rows" in message and "monitor 'pushed'" in message and "15 days" in message
    parse_config(pushed({"ingested_rows": "16d"}), base_dir=Path("/cfg"), env={})


def test_a_rolling_window_counts_its_length() -> None:
    data = pushed({"ingested_rows": "20d"}, horizon="7d")
    data["monitors"]["pushed"]["window"] = {"size": "1d", "length": "14d"}
    (message,) = errors(data)
    assert "21 days" in message


@pytest.mark.parametrize("value", ["0d", "-1d", "soon"])
def test_ages_must_be_positive_durations(value: str) -> None:
    (message,) = errors({"retention": {"delivery_log": value}})
    assert message.startswith("retention.delivery_log")
