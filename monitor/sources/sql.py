"""Any database SQLAlchemy can reach: a table filtered on its time column, or a query of the user's.

Reading is monitor.store.external's (every SQL statement lives in the store). Here the streamed
chunks become columnar Arrow data at once, and the final DataFrame is built from the Arrow chunks
while they are released, so a window is never held twice as a DataFrame.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from monitor.sources.base import SourceContext, SourceError, register, utc_frame_times
from monitor.store.external import ExternalSourceError, ExternalTable


class SqlSource:
    def __init__(
        self,
        url: str,
        *,
        table: str | None = None,
        schema: str | None = None,
        query: str | None = None,
        chunk_size: int = 50_000,
        columns: list[str] | None = None,
    ) -> None:
        self.database = ExternalTable(
            url, table=table, schema=schema, query=query, chunk_size=chunk_size, columns=columns
        )
        # What a reader elsewhere (a Dask worker) builds its own source from: the engine stays here.
        self.settings: dict[str, Any] = {
            "url": url,
            "table": table,
            "schema": schema,
            "query": query,
            "chunk_size": chunk_size,
        }

    def describe(self) -> str:
        return self.database.describe()

    def close(self) -> None:
        self.database.close()

    def read(
        self, start: datetime | None = None, end: datetime | None = None, *, time_column: str | None = None
    ) -> pd.DataFrame:
        try:
            # PostgreSQL tables: COPY parsed by Arrow, several times faster; else streamed chunks.
            table = self.database.arrow_window(start, end, time_column=time_column)
            if table is not None:
                frame = table.to_pandas(self_destruct=True, split_blocks=True)
            else:
                frame = _assemble(self.database.chunks(start, end, time_column=time_column))
        except ExternalSourceError as exc:
            raise SourceError(str(exc)) from None
        return utc_frame_times(frame, time_column)

    def column_names(self, start: datetime, end: datetime, *, time_column: str | None = None) -> list[str]:
        """The names of the columns a read of [start, end) gives, from none of its rows (LIMIT 0: a
        query with ORDER BY or aggregates is not run whole here, only planned)."""
        return [str(c) for c in self.sample(0, start, end, time_column=time_column).columns]

    def sample(
        self,
        limit: int,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        time_column: str | None = None,
    ) -> pd.DataFrame:
        chunks = self.database.chunks(start, end, time_column=time_column, limit=limit)
        try:
            frame = _assemble(chunks)
        except ExternalSourceError as exc:
            raise SourceError(str(exc)) from None
        return utc_frame_times(frame, time_column)


def read_sql_range(
    settings: dict[str, Any],
    time_column: str | None,
    columns: list[str],
    start: datetime,
    end: datetime,
) -> pd.DataFrame:
    """The rows of [start, end) of the source `settings` describe (SqlSource.settings), only
    `columns`: one piece of a window read on a Dask worker, with its own connection, closed after."""
    source = SqlSource(**settings, columns=columns)  # a table: only these columns selected
    try:
        frame = source.read(start, end, time_column=time_column)
    finally:
        source.close()
    return frame[[c for c in columns if c in frame.columns]]


def _assemble(chunks: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """One DataFrame from streamed chunks, holding each chunk as Arrow data in between."""
    tables: list[pa.Table] = []
    frames: list[pd.DataFrame] = []  # used only if a chunk cannot become Arrow (odd Python objects)
    first: pd.DataFrame | None = None
    for chunk in chunks:
        if first is None:
            first = chunk.iloc[0:0]
        if frames:
            frames.append(chunk)
            continue
        try:
            tables.append(pa.Table.from_pandas(chunk, preserve_index=False))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            frames = [t.to_pandas() for t in tables] + [chunk]
            tables = []
    if frames:
        return pd.concat(frames, ignore_index=True)
    if not tables:
        return first if first is not None else pd.DataFrame()
    combined = pa.concat_tables(tables, promote_options="permissive")
    tables.clear()
    return combined.to_pandas(self_destruct=True, split_blocks=True)


def _build(config: Any, context: SourceContext) -> SqlSource:
    return SqlSource(
        config.url,
        table=config.table,
        schema=config.schema_,
        query=config.query,
        chunk_size=config.chunk_size,
    )


register("sql", _build)
