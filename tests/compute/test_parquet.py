"""A window of Parquet files as a dask DataFrame: the columns asked for, the rows in [start, end)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from monitor.compute import ComputeError, read_parquet_window

from .conftest import FEATURES, Window


def test_only_the_windows_rows_and_the_columns_asked_for(window: Window) -> None:
    pieces = read_parquet_window(
        window.pattern, FEATURES, time_column="ts", start=window.start, end=window.end
    )
    assert pieces.npartitions == 6  # one per file: each read where the work runs
    read = pieces.compute(scheduler="sync").reset_index(drop=True)
    assert list(read.columns) == FEATURES  # the time column filters without being read
    pd.testing.assert_frame_equal(read, window.rows(), check_dtype=False)


def test_naive_times_are_taken_as_utc(tmp_path: Path) -> None:
    times = pd.date_range("2026-03-01 00:00", periods=48, freq="h")  # naive
    pd.DataFrame({"ts": times, "x": range(48)}).to_parquet(tmp_path / "naive.parquet")
    start = datetime(2026, 3, 1, 13, tzinfo=UTC) + timedelta(hours=1)  # aware bounds, as windows are
    read = read_parquet_window(tmp_path / "*.parquet", ["x"], time_column="ts", start=start).compute()
    assert read["x"].tolist() == list(range(14, 48))


def test_missing_files_and_columns_are_clear_errors(tmp_path: Path, window: Window) -> None:
    with pytest.raises(ComputeError, match="no Parquet file matches"):
        read_parquet_window(tmp_path / "*.parquet")
    with pytest.raises(ComputeError, match="has no time column 'when'"):
        read_parquet_window(window.pattern, time_column="when", start=window.start)
