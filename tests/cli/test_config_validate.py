"""`monitor config validate FILE [--check-sources]`: exit codes and what is printed."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from monitor.cli import main
from monitor.services.demo_data import generate_demo
from tests.conftest import monitor_config
from tests.services.test_source_check import broken_config


def write(path: Path, data: dict) -> str:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_a_path_that_matches_no_file_fails_plain_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = monitor_config("sqlite:///monitor.db")
    data["monitors"]["m"]["labels"]["source"]["path"] = "labels/*.parquet"
    assert main(["config", "validate", write(tmp_path / "c.yaml", data)]) == 1
    err = capsys.readouterr().err
    assert "monitors.m.source.path: no file matches" in err
    assert f"monitors.m.labels.source.path: no file matches {tmp_path / 'labels/*.parquet'}" in err


def test_check_sources_reports_every_monitor_then_fails(
    monitor_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(monitor_files / "c.yaml", broken_config(monitor_files))
    assert main(["config", "validate", path]) == 1  # the missing source path, with nothing read
    assert main(["config", "validate", path, "--check-sources"]) == 1
    err = capsys.readouterr().err
    assert "churn: 3 problem(s)" in err and "credit: 3 problem(s)" in err
    assert (
        "  monitors.churn.labels.label_column: column 'label' is not in the label source "
        "(it has: prediction_id, outcome, labelled_at)" in err
    )


def test_check_sources_passes_a_correct_config(
    monitor_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(monitor_files / "c.yaml", monitor_config("sqlite:///monitor.db"))
    assert main(["config", "validate", path, "--check-sources"]) == 0
    out = capsys.readouterr().out
    assert "m: ok (rows read: 1000 predictions, 1000 reference, 1000 labels)" in out


def test_the_demo_config_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The demo's own layout: config/demo.yaml reading ../data/demo/*.parquet.
    (tmp_path / "config").mkdir()
    shutil.copy(Path(__file__).parents[2] / "config" / "demo.yaml", tmp_path / "config" / "demo.yaml")
    generate_demo(tmp_path / "data" / "demo", today=datetime(2026, 6, 1, tzinfo=UTC))
    assert main(["config", "validate", str(tmp_path / "config" / "demo.yaml"), "--check-sources"]) == 0
    assert "credit-default: ok" in capsys.readouterr().out
