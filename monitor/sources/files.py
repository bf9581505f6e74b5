"""Parquet or CSV files named by a path or a glob."""

from __future__ import annotations

import glob
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from monitor.sources.base import SourceError, register


class FilesSource:
    def __init__(self, pattern: Path, fmt: str = "auto") -> None:
        self.pattern = pattern
        self.fmt = fmt

    def _paths(self) -> list[str]:
        paths = sorted(glob.glob(str(self.pattern), recursive=True))
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

    def read(
        self, start: datetime | None = None, end: datetime | None = None, *, time_column: str | None = None
    ) -> pd.DataFrame:
        paths = self._paths()
        fmt = self._format(paths)
        try:
            dataset = ds.dataset(paths, format=fmt)
            table = dataset.to_table(filter=_time_filter(dataset.schema, start, end, time_column))
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError(f"cannot read {self.pattern}: {exc}") from None
        frame = table.to_pandas()
        if time_column is not None and time_column in frame.columns:
            frame[time_column] = pd.to_datetime(frame[time_column], utc=True)
        return frame


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


def _build(config: Any, resolve_path: Callable[[str], Path]) -> FilesSource:
    return FilesSource(resolve_path(config.path), config.format)


register("files", _build)
