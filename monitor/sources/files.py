"""Parquet or CSV files named by a path or a glob, optionally in hive-style date partitions.

A path segment `dt=2026-11-22` (the key is configurable) says every row below it belongs to that
calendar day of `partition_timezone`. Files in partitions that cannot overlap the window are dropped
from the list before anything is opened; the rest are read through a pyarrow dataset with the time
filter pushed down, so only the window's rows are materialised.

A monitor's window is read with only the columns it uses (its features and role columns, when the
features are listed); the names of all the data's columns come with it, from the files' schemas.
String columns of a monitor's features are read from Parquet dictionary-encoded and arrive as pandas
categoricals of those strings: no Python string is made per row, and the drift engine counts their
codes (it judges them exactly as the strings, monitor.drift.kinds.string_categories). Role columns
(time, id, prediction, labels, segments...) keep their plain types.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from monitor.config import feature_columns, role_column_names, window_columns
from monitor.sources.base import SOURCE_COLUMNS, SourceContext, SourceError, register, utc_frame_times


class FilesSource:
    def __init__(
        self,
        pattern: Path,
        fmt: str = "auto",
        partition_key: str = "dt",
        partition_timezone: str = "UTC",
        *,
        categories: Callable[[list[str]], list[str]] | None = None,
        columns: set[str] | None = None,
    ) -> None:
        """`categories`: given the data's column names, those whose strings to read dictionary-encoded
        (Parquet only; None: none). `columns`: the only ones `read` returns (None: all); a sample
        holds every column."""
        self.pattern = pattern
        self.categories = categories
        self.columns = columns
        self.fmt = fmt
        self.partition = re.compile(rf"^{re.escape(partition_key)}=(.+)$")
        self.zone = ZoneInfo(partition_timezone)

    def _paths(self) -> list[str]:
        paths = sorted(p for p in glob.glob(str(self.pattern), recursive=True) if Path(p).is_file())
        if not paths:
            raise SourceError(f"no file matches {self.pattern}")
        return paths

    def _format(self, paths: list[str]) -> str:
        if self.fmt != "auto":
            return self.fmt
        suffixes = {Path(p).suffix.lower() for p in paths}
        if suffixes <= {".parquet", ".pq"}:
            return "parquet"
        if suffixes <= {".csv"}:
            return "csv"
        raise SourceError(
            f"cannot tell the format of {self.pattern} ({', '.join(sorted(suffixes))}); set `format`"
        )

    def _partition_day(self, path: str) -> date | None:
        for part in Path(path).parts:
            match = self.partition.match(part)
            if match:
                try:
                    return date.fromisoformat(match.group(1))
                except ValueError:
                    key = part.split("=")[0]
                    raise SourceError(
                        f"partition {part!r} in {path} is not a date (expected {key}=YYYY-MM-DD)"
                    ) from None
        return None

    def _overlaps(self, path: str, start: datetime | None, end: datetime | None) -> bool:
        day = self._partition_day(path)
        if day is None:
            return True
        midnight = datetime(day.year, day.month, day.day)
        first = midnight.replace(tzinfo=self.zone).astimezone(UTC)
        after = (midnight + timedelta(days=1)).replace(tzinfo=self.zone).astimezone(UTC)
        return (end is None or first < end) and (start is None or after > start)

    def read(
        self, start: datetime | None = None, end: datetime | None = None, *, time_column: str | None = None
    ) -> pd.DataFrame:
        return self._frame(start, end, time_column, limit=None)

    def sample(
        self,
        limit: int,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        time_column: str | None = None,
    ) -> pd.DataFrame:
        return self._frame(start, end, time_column, limit=limit)

    def window_files(self, start: datetime | None, end: datetime | None) -> tuple[list[str], list[str]]:
        """The Parquet files a window [start, end) may have rows in (partitions that cannot overlap it
        left out), and the names of every column of the data, as `read` names them (no file: none
        and the newest file's columns). For a reader elsewhere (a Dask cluster's workers)."""
        everything = self._paths()
        if self._format(everything) != "parquet":
            raise SourceError(f"{self.pattern} is not Parquet: a Dask cluster reads Parquet files only")
        paths = [p for p in everything if self._overlaps(p, start, end)]
        try:
            schema = _unified_dataset(paths or everything[-1:], "parquet").schema
        except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
            raise SourceError(f"cannot read {self.pattern}: {exc}") from None
        return paths, list(schema.names)

    def _frame(
        self, start: datetime | None, end: datetime | None, time_column: str | None, *, limit: int | None
    ) -> pd.DataFrame:
        everything = self._paths()
        fmt = self._format(everything)
        paths = [p for p in everything if self._overlaps(p, start, end)]
        wanted = self.columns if limit is None else None
        try:
            if not paths:  # no partition overlaps the window: no rows, with the columns of the newest file
                schema = ds.dataset(everything[-1:], format=fmt).schema
                table = schema.empty_table().select(_selected(schema, wanted, time_column))
            else:
                dataset = _unified_dataset(paths, fmt, self.categories)
                schema = dataset.schema
                condition = _time_filter(schema, start, end, time_column)
                selected = _selected(schema, wanted, time_column)
                # head() stops reading at `limit` rows: a sample of a large source costs little.
                table = (
                    dataset.to_table(columns=selected, filter=condition)
                    if limit is None
                    else dataset.head(limit, filter=condition)
                )
        except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
            raise SourceError(f"cannot read {self.pattern}: {exc}") from None
        # Arrow buffers are released column by column as pandas takes them: the window is not held twice.
        frame = utc_frame_times(table.to_pandas(self_destruct=True, split_blocks=True), time_column)
        if len(frame.columns) < len(schema.names):
            frame.attrs[SOURCE_COLUMNS] = tuple(schema.names)
        return frame


def _unified_dataset(
    paths: list[str], fmt: str, categories: Callable[[list[str]], list[str]] | None = None
) -> ds.Dataset:
    """A dataset over every column of every file: pyarrow would otherwise take the first file's schema
    and silently drop columns only later files have. Of Parquet files, the string columns that
    `categories` names are read dictionary-encoded."""
    dataset = ds.dataset(paths, format=fmt)
    schemas = [fragment.physical_schema for fragment in dataset.get_fragments()]
    unified = all(schema.equals(schemas[0]) for schema in schemas[1:])
    schema = schemas[0] if unified else pa.unify_schemas(schemas, promote_options="permissive")
    wanted = set(categories(schema.names)) if categories is not None and fmt == "parquet" else set()
    encode = [f.name for f in schema if f.name in wanted and _is_text(f.type)]
    if not encode:
        return dataset if unified else ds.dataset(paths, format=fmt, schema=schema)
    for name in encode:
        index = schema.get_field_index(name)
        schema = schema.set(index, schema.field(index).with_type(pa.dictionary(pa.int32(), pa.string())))
    options = ds.ParquetReadOptions(dictionary_columns=encode)
    return ds.dataset(paths, format=ds.ParquetFileFormat(read_options=options), schema=schema)


def _selected(schema: pa.Schema, wanted: set[str] | None, time_column: str | None) -> list[str]:
    """The data's columns to read, in the data's order."""
    if wanted is None:
        return list(schema.names)
    return [name for name in schema.names if name in wanted or name == time_column]


def _is_text(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def _time_filter(
    schema: pa.Schema, start: datetime | None, end: datetime | None, time_column: str | None
) -> Any:
    if time_column is None or (start is None and end is None):
        return None
    if time_column not in schema.names:
        raise SourceError(
            f"time column {time_column!r} is not in the data (columns: {', '.join(schema.names)})"
        )
    field_type = schema.field(time_column).type
    if not pa.types.is_timestamp(field_type):
        raise SourceError(f"time column {time_column!r} holds {field_type}, not timestamps")
    column = ds.field(time_column)
    condition = None
    for bound, op in ((start, "ge"), (end, "lt")):
        if bound is None:
            continue
        scalar = pa.scalar(pd.Timestamp(bound).tz_convert("UTC"), type=pa.timestamp("us", tz="UTC"))
        if field_type.tz is None:  # naive timestamps in a file are taken to be UTC
            scalar = pa.scalar(
                pd.Timestamp(bound).tz_convert("UTC").tz_localize(None), type=pa.timestamp("us")
            )
        term = column >= scalar if op == "ge" else column < scalar
        condition = term if condition is None else condition & term
    return condition


def dictionary_features(monitor: Any) -> Callable[[list[str]], list[str]] | None:
    """Which columns a monitor's files are read dictionary-encoded (those of its features that hold
    strings, never a role column: segments, say, are relabelled in place); None outside a monitor."""
    if monitor is None:
        return None
    roles = role_column_names(monitor)
    return lambda names: [name for name in feature_columns(monitor, names) if name not in roles]


def _build(config: Any, context: SourceContext) -> FilesSource:
    # Only a monitor's own window is read narrowly: a reference keeps every column, which its quality
    # summary names (a window's column it lacks is a new one).
    monitor = context.monitor if context.role == "predictions" else None
    return FilesSource(
        context.resolve_path(config.path),
        config.format,
        config.partition_key,
        config.partition_timezone,
        categories=dictionary_features(context.monitor),
        columns=window_columns(monitor) if monitor is not None else None,
    )


register("files", _build)
