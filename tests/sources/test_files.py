"""The files source on real Parquet and CSV trees: globs, hive date partitions pruned before reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.config import FilesSourceConfig, MonitorConfig
from monitor.sources import SourceError
from monitor.sources.base import Role, build_source, source_columns
from monitor.sources.files import FilesSource

DAY0 = datetime(2026, 11, 20, tzinfo=UTC)


def day_frame(day: int, rows: int = 24) -> pd.DataFrame:
    start = DAY0 + timedelta(days=day)
    return pd.DataFrame(
        {
            "ts": pd.date_range(start, periods=rows, freq="h"),
            "prediction_id": [f"d{day}-{i}" for i in range(rows)],
            "x": np.arange(rows, dtype=float) + 100 * day,
            "colour": np.where(np.arange(rows) % 2, "red", "blue"),
        }
    )


def write_tree(root: Path, fmt: str, days: range) -> pd.DataFrame:
    frames = []
    for day in days:
        frame = day_frame(day)
        folder = root / f"dt={(DAY0 + timedelta(days=day)).date().isoformat()}"
        folder.mkdir(parents=True)
        if fmt == "parquet":
            frame.to_parquet(folder / "part-0.parquet", index=False)
        else:
            frame.to_csv(folder / "part-0.csv", index=False)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_partitioned_tree_reads_exactly_the_window(tmp_path: Path, fmt: str) -> None:
    log = write_tree(tmp_path, fmt, range(5))
    source = FilesSource(tmp_path / "**" / f"*.{fmt}")
    start, end = DAY0 + timedelta(days=1, hours=6), DAY0 + timedelta(days=3)
    window = source.read(start, end, time_column="ts")
    expected = log[(log.ts >= start) & (log.ts < end)]
    assert len(window) == 18 + 24
    assert sorted(window.prediction_id) == sorted(expected.prediction_id)
    assert window["ts"].dt.tz is not None and str(window["ts"].dt.tz) == "UTC"
    assert list(window.columns) == ["ts", "prediction_id", "x", "colour"]  # no `dt` column added


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_partitions_outside_the_window_are_never_opened(tmp_path: Path, fmt: str) -> None:
    write_tree(tmp_path, fmt, range(3))
    # Corrupt every partition but the window's: opening any of them would fail the read.
    for day in (0, 2):
        folder = tmp_path / f"dt={(DAY0 + timedelta(days=day)).date().isoformat()}"
        (folder / f"part-0.{fmt}").write_bytes(b"\x00 this is not a data file \xff" * 10)
    source = FilesSource(tmp_path / "**" / f"*.{fmt}")
    window = source.read(DAY0 + timedelta(days=1), DAY0 + timedelta(days=2), time_column="ts")
    assert len(window) == 24 and set(window.prediction_id.str[:2]) == {"d1"}
    with pytest.raises(SourceError, match="cannot read"):
        source.read(DAY0, DAY0 + timedelta(days=2), time_column="ts")


def test_a_row_exactly_at_the_window_end_belongs_to_the_next_window(tmp_path: Path) -> None:
    write_tree(tmp_path, "parquet", range(2))
    source = FilesSource(tmp_path / "**" / "*.parquet")
    first = source.read(DAY0, DAY0 + timedelta(days=1), time_column="ts")
    second = source.read(DAY0 + timedelta(days=1), DAY0 + timedelta(days=2), time_column="ts")
    midnight = pd.Timestamp(DAY0 + timedelta(days=1))
    assert midnight not in set(first.ts) and midnight in set(second.ts)
    assert len(first) == len(second) == 24


def test_partition_days_follow_their_time_zone(tmp_path: Path) -> None:
    # Partitions cut at Tokyo midnight (15:00 UTC): dt=2026-11-21 holds 2026-11-20 15:00 .. 11-21 15:00 UTC.
    frame = pd.DataFrame({"ts": pd.date_range("2026-11-20 15:00", periods=24, freq="h", tz="UTC"), "x": 1.0})
    folder = tmp_path / "dt=2026-11-21"
    folder.mkdir()
    frame.to_parquet(folder / "a.parquet")
    tokyo = FilesSource(tmp_path / "**" / "*.parquet", partition_timezone="Asia/Tokyo")
    utc = FilesSource(tmp_path / "**" / "*.parquet")
    start, end = datetime(2026, 11, 20, 15, tzinfo=UTC), datetime(2026, 11, 20, 18, tzinfo=UTC)
    assert len(tokyo.read(start, end, time_column="ts")) == 3
    assert len(utc.read(start, end, time_column="ts")) == 0  # read as a UTC day, the file is pruned


def test_a_window_with_no_partition_is_empty_with_the_files_columns(tmp_path: Path) -> None:
    write_tree(tmp_path, "parquet", range(2))
    source = FilesSource(tmp_path / "**" / "*.parquet")
    empty = source.read(DAY0 + timedelta(days=10), DAY0 + timedelta(days=11), time_column="ts")
    assert empty.empty and list(empty.columns) == ["ts", "prediction_id", "x", "colour"]


def test_files_with_different_columns_are_unified_not_truncated(tmp_path: Path) -> None:
    day_frame(0).to_parquet(tmp_path / "a.parquet")
    day_frame(1).assign(new_feature=1.5).to_parquet(tmp_path / "b.parquet")
    frame = FilesSource(tmp_path / "*.parquet").read()
    assert "new_feature" in frame.columns and frame["new_feature"].isna().sum() == 24


def test_bad_partition_and_missing_files_are_clear_errors(tmp_path: Path) -> None:
    folder = tmp_path / "dt=yesterday"
    folder.mkdir()
    day_frame(0).to_parquet(folder / "a.parquet")
    with pytest.raises(SourceError, match=r"dt=yesterday.*not a date"):
        FilesSource(tmp_path / "**" / "*.parquet").read(DAY0, DAY0 + timedelta(days=1), time_column="ts")
    with pytest.raises(SourceError, match="no file matches"):
        FilesSource(tmp_path / "nothing" / "*.parquet").read()


def test_a_sample_is_at_most_its_rows_of_the_window(tmp_path: Path) -> None:
    log = write_tree(tmp_path, "parquet", range(3))
    source = FilesSource(tmp_path / "**" / "*.parquet")
    start, end = DAY0 + timedelta(days=1), DAY0 + timedelta(days=2)
    sample = source.sample(5, start, end, time_column="ts")
    assert len(sample) == 5 and set(sample.prediction_id) <= set(log.prediction_id[24:48])
    assert len(source.sample(1000)) == len(log)
    with pytest.raises(SourceError, match=r"time column 'colour' holds .*string, not timestamps"):
        source.sample(5, start, end, time_column="colour")


def test_a_window_is_read_with_only_the_columns_asked_for_and_names_the_others(tmp_path: Path) -> None:
    log = write_tree(tmp_path, "parquet", range(2))
    source = FilesSource(tmp_path / "**" / "*.parquet", columns={"prediction_id", "x"})
    window = source.read(DAY0, DAY0 + timedelta(days=1), time_column="ts")
    assert list(window.columns) == ["ts", "prediction_id", "x"]  # the time column always, the data's order
    assert window["x"].tolist() == log["x"][:24].tolist()
    assert source_columns(window) == ["ts", "prediction_id", "x", "colour"]
    empty = source.read(DAY0 + timedelta(days=10), DAY0 + timedelta(days=11), time_column="ts")
    assert list(empty.columns) == ["ts", "prediction_id", "x"]
    assert source_columns(empty) == ["ts", "prediction_id", "x", "colour"]
    # A sample is for looking at the data: every column.
    assert list(source.sample(3).columns) == ["ts", "prediction_id", "x", "colour"]
    everything = FilesSource(tmp_path / "**" / "*.parquet").read()
    assert source_columns(everything) == list(everything.columns) == ["ts", "prediction_id", "x", "colour"]


@pytest.mark.parametrize(
    ("features", "role", "read"),
    [
        (["x"], "predictions", ["ts", "prediction_id", "x"]),
        (None, "predictions", ["ts", "prediction_id", "x", "colour"]),  # any column may be a feature
        (["x"], "reference", ["ts", "prediction_id", "x", "colour"]),  # its summary names every column
    ],
)
def test_a_monitor_reads_its_features_and_role_columns_of_its_window(
    tmp_path: Path, features: list[str] | None, role: Role, read: list[str]
) -> None:
    write_tree(tmp_path, "parquet", range(1))
    monitor = MonitorConfig.model_validate(
        {
            "model": "toy",
            "source": {"type": "files", "path": "x"},
            "reference": {"type": "files", "path": "x"},
            "schema": {"timestamp_column": "ts", "features": features},
        }
    )
    config = FilesSourceConfig(type="files", path="**/*.parquet")
    source = build_source(config, lambda path: tmp_path / path, monitor=monitor, role=role)
    assert list(source.read(DAY0, DAY0 + timedelta(days=1), time_column="ts").columns) == read
