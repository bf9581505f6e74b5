"""A window of Parquet files as a dask DataFrame: only the columns asked for, only rows in [start, end).

What the dask backend is given for a `files` source: dask reads each file (or row group) on a worker,
with the time filter pushed into pyarrow's reader (row groups outside the window are skipped, rows
outside it dropped), so no row of the window passes through the client.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from monitor.compute.base import ComputeError

PARTITION_BYTES = 64 * 1024**2


def parquet_paths(pattern: str | Path | Sequence[str | Path]) -> list[str]:
    """The files a glob pattern (or a list of paths and patterns) names, sorted; none is an error."""
    patterns = [pattern] if isinstance(pattern, str | Path) else list(pattern)
    paths = sorted({p for one in patterns for p in glob.glob(str(one), recursive=True) if Path(p).is_file()})
    if not paths:
        raise ComputeError(f"no Parquet file matches {', '.join(str(p) for p in patterns)}")
    return paths


def _bound(moment: datetime, column: pa.DataType) -> pd.Timestamp:
    """A window bound comparable with the column: UTC, naive if the column's times are naive (naive
    times are taken to be UTC, as the sources take them)."""
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return stamp if getattr(column, "tz", None) else stamp.tz_localize(None)


def window_filters(
    path: str, time_column: str, start: datetime | None, end: datetime | None
) -> list[tuple[str, str, Any]] | None:
    """pyarrow filters for start <= time_column < end, typed as the first file's column."""
    schema = pq.read_schema(path)
    if time_column not in schema.names:
        raise ComputeError(f"{path} has no time column {time_column!r}; it has {', '.join(schema.names)}")
    column = schema.field(time_column).type
    if not pa.types.is_timestamp(column):
        raise ComputeError(f"{path}: time column {time_column!r} is {column}, not a timestamp")
    filters: list[tuple[str, str, Any]] = []
    if start is not None:
        filters.append((time_column, ">=", _bound(start, column)))
    if end is not None:
        filters.append((time_column, "<", _bound(end, column)))
    return filters or None


def read_parquet_window(
    pattern: str | Path | Sequence[str | Path],
    columns: Sequence[str] | None = None,
    *,
    time_column: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Any:
    """The rows with start <= time_column < end (no bounds: all) of the Parquet files `pattern` names,
    as a dask DataFrame of `columns` only (None: all). Nothing is read until it is computed."""
    import dask.dataframe as dd

    paths = parquet_paths(pattern)
    filters = None
    if time_column is not None and (start is not None or end is not None):
        filters = window_filters(paths[0], time_column, start, end)
    try:
        return dd.read_parquet(
            paths,
            columns=list(columns) if columns is not None else None,
            filters=filters,
            # A file larger than this, uncompressed, is read in pieces of whole row groups, so a
            # window of one big file still spreads over the workers and no task holds all of it.
            split_row_groups="infer",
            blocksize=PARTITION_BYTES,
        )
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        raise ComputeError(f"cannot read the Parquet files {paths[0]}, ...: {exc}") from None
