"""`monitor backfill`: a half-open range, its edge windows named, and what a date-only --to leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.cli import main
from tests.conftest import monitor_config

# monitor_files holds four UTC days of predictions from 2026-06-01 on, in daily windows.


@pytest.fixture
def config_path(monitor_files: Path, sqlite_url: str) -> Path:
    path = monitor_files / "config.yaml"
    path.write_text(yaml.safe_dump(monitor_config(sqlite_url)))
    return path


def backfill(config_path: Path, *extra: str) -> int:
    return main(["backfill", "m", "--config", str(config_path), *extra])


def test_edges_are_named_and_a_date_only_to_says_its_day_is_left_out(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert backfill(config_path, "--from", "2026-06-01T12:00", "--to", "2026-06-04") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        "range [2026-06-01T12:00:00+00:00, 2026-06-04T00:00:00+00:00)",
        "--to 2026-06-04 means 2026-06-04T00:00 UTC, excluded: the day 2026-06-04 is not included; "
        "--to 2026-06-05 would include it",
        "skipped partial window 2026-06-01T00:00:00+00:00/2026-06-02T00:00:00+00:00: starts before --from; "
        "pass --partial to compute it",
        "2 window(s) computed, 0 skipped (0 already computed), 0 failed",
    ]


def test_partial_computes_the_edge_windows_whole(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert backfill(config_path, "--from", "2026-06-01T12:00", "--to", "2026-06-03T12:00", "--partial") == 0
    out = capsys.readouterr().out
    assert "skipped" not in out.replace("0 skipped", "")
    assert "3 window(s) computed" in out


def test_naive_times_are_read_in_the_window_time_zone(
    monitor_files: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = monitor_config(sqlite_url)
    data["monitors"]["m"]["window"] = {"size": "1d", "timezone": "Europe/Berlin"}
    path = monitor_files / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    assert (
        main(["backfill", "m", "--config", str(path), "--from", "2026-06-02", "--to", "2026-06-03T00:00"])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    # Berlin is two hours ahead of UTC in June: one whole local day, and no date-only note.
    assert lines[1:] == [
        "range [2026-06-01T22:00:00+00:00, 2026-06-02T22:00:00+00:00)",
        "1 window(s) computed, 0 skipped (0 already computed), 0 failed",
    ]


def test_help_says_the_range_is_half_open(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["backfill", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "half-open range [--from, --to)" in help_text
    assert "`--to 2024-03-31` stops at 2024-03-31 00:00 and leaves that day out" in help_text
    assert "--partial" in help_text
