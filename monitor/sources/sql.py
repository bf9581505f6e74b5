"""Any database SQLAlchemy can reach: a table filtered on its time column, or a query of the user's.

Safety: a table's name and columns come from reflection and are quoted by SQLAlchemy; a query's
`:start` and `:end` are bound parameters. Nothing from the config or a window is formatted into SQL.

Memory: rows are streamed (a server-side cursor where the driver has one) and fetched `chunk_size`
at a time; each chunk becomes columnar Arrow data at once, and the final DataFrame is built from the
Arrow chunks while they are released. So a window is never held as driver rows (tuples of Python
objects, several times the size of the frame) and never twice as a DataFrame.

Times: timestamps without a time zone are taken to be UTC. PostgreSQL sessions run in UTC so that
`timestamp` and `timestamptz` columns both compare right against the bounds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    MetaData,
    Select,
    Table,
    TextClause,
    bindparam,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError

from monitor.sources.base import SourceContext, SourceError, register, utc_frame_times


class SqlSource:
    def __init__(
        self,
        url: str,
        *,
        table: str | None = None,
        schema: str | None = None,
        query: str | None = None,
        chunk_size: int = 50_000,
    ) -> None:
        if (table is None) == (query is None):
            raise ValueError("give exactly one of table or query")
        self.url = url
        self.table_name = table
        self.schema = schema
        self.query = query
        self.chunk_size = chunk_size
        self._engine: Engine | None = None
        self._table: Table | None = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        try:
            where = make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            where = "(unparseable URL)"
        what = f"table {self.table_name!r}" if self.table_name else "the query"
        return f"{what} at {where}"

    def _connect(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = _make_engine(self.url)
            return self._engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def read(
        self, start: datetime | None = None, end: datetime | None = None, *, time_column: str | None = None
    ) -> pd.DataFrame:
        try:
            engine = self._connect()
            with engine.connect() as connection:
                streaming = connection.execution_options(yield_per=self.chunk_size)
                statement = (
                    self._table_select(streaming, start, end, time_column)
                    if self.table_name is not None
                    else self._query(start, end)
                )
                chunks = pd.read_sql(statement, streaming, chunksize=self.chunk_size)
                frame = _assemble(chunks)
        except SourceError:
            raise
        except (SQLAlchemyError, NoSuchModuleError) as exc:
            reason = getattr(exc, "orig", None) or exc
            raise SourceError(f"cannot read {self.describe()}: {str(reason).strip()}") from None
        return utc_frame_times(frame, time_column)

    def _table_select(
        self, connection: Connection, start: datetime | None, end: datetime | None, time_column: str | None
    ) -> Select[Any]:
        if self._table is None:
            try:
                self._table = Table(
                    self.table_name or "", MetaData(), schema=self.schema, autoload_with=connection
                )
            except NoSuchTableError:
                raise SourceError(f"{self.describe()} does not exist") from None
        table = self._table
        statement = select(table)
        if time_column is None or (start is None and end is None):
            return statement
        if time_column not in table.c:
            columns = ", ".join(c.name for c in table.c)
            raise SourceError(f"time column {time_column!r} is not in {self.describe()} (columns: {columns})")
        column = table.c[time_column]
        if not isinstance(column.type, DateTime):
            raise SourceError(
                f"time column {time_column!r} of {self.describe()} is {column.type}, not a timestamp"
            )
        aware = bool(column.type.timezone)
        if start is not None:
            statement = statement.where(column >= _bound(start, aware))
        if end is not None:
            statement = statement.where(column < _bound(end, aware))
        return statement

    def _query(self, start: datetime | None, end: datetime | None) -> TextClause:
        clause = text(self.query or "")
        named = set(clause.compile().params)  # the :names the query uses
        windowed = start is not None or end is not None
        if windowed and not {"start", "end"} <= named:
            raise SourceError(
                "the query must select one window with :start and :end, e.g. "
                "WHERE ts >= :start AND ts < :end (it would otherwise read every row for every window)"
            )
        if not windowed and named & {"start", "end"}:
            raise SourceError(
                "the query uses :start/:end but this read has no window; a reference needs a query "
                "without them, or `type: period` with fixed dates"
            )
        unknown = named - {"start", "end"}
        if unknown:
            raise SourceError(
                f"the query uses parameters the service cannot fill: {', '.join(sorted(unknown))}"
            )
        if not windowed:
            return clause
        aware = make_url(self.url).get_backend_name() == "postgresql"
        return clause.bindparams(
            bindparam("start", _bound(start, aware), type_=DateTime(timezone=aware)),
            bindparam("end", _bound(end, aware), type_=DateTime(timezone=aware)),
        )


def _bound(moment: datetime | None, aware: bool) -> datetime | None:
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc if aware else utc.replace(tzinfo=None)


def _make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise SourceError(f"not a database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return create_engine(parsed, connect_args={"check_same_thread": False})
    if backend == "postgresql" and parsed.get_driver_name() in ("psycopg", "psycopg2"):
        return create_engine(parsed, pool_pre_ping=True, connect_args={"options": "-c TimeZone=UTC"})
    return create_engine(parsed, pool_pre_ping=True)


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
