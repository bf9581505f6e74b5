"""Reading a user's own database (the `sql` source): a table filtered on its time column, or a query.

Safety: a table's name and columns come from reflection and are quoted by SQLAlchemy; a query's
`:start` and `:end` are bound parameters. Nothing from the config or a window is formatted into SQL.

Memory: rows are streamed (a server-side cursor where the driver has one) and handed on `chunk_size`
at a time as DataFrames (monitor.sources.sql assembles them through Arrow), so a window is never held
as driver rows (tuples of Python objects, several times the size of the frame).

Times: timestamps without a time zone are taken to be UTC. PostgreSQL sessions run in UTC so that
`timestamp` and `timestamptz` columns both compare right against the bounds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
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
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError

from monitor.store.external_copy import CopyFailed, arrow_type, copy_table


class ExternalSourceError(Exception):
    """The database cannot be read as configured; the message says why (never the password)."""


class ExternalTable:
    def __init__(
        self,
        url: str,
        *,
        table: str | None = None,
        schema: str | None = None,
        query: str | None = None,
        chunk_size: int = 50_000,
        columns: Sequence[str] | None = None,
    ) -> None:
        if (table is None) == (query is None):
            raise ValueError("give exactly one of table or query")
        # A table's columns to select (those it has; none: every column); a query selects its own.
        self.columns = list(columns) if columns is not None else None
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

    def chunks(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        time_column: str | None = None,
        limit: int | None = None,
    ) -> Iterator[pd.DataFrame]:
        """The rows with start <= time_column < end, `chunk_size` rows at a time; only the first
        `limit` rows when given (LIMIT in the database, so a sample of a large table is cheap)."""
        try:
            engine = self._connect()
            with engine.connect() as connection:
                streaming = connection.execution_options(yield_per=self.chunk_size)
                statement: Select[Any] | TextClause = (
                    self._table_select(streaming, start, end, time_column)
                    if self.table_name is not None
                    else self._query(start, end)
                )
                if limit is not None:
                    statement = _limited(statement, limit)
                yield from pd.read_sql(statement, streaming, chunksize=self.chunk_size)
        except ExternalSourceError:
            raise
        except (SQLAlchemyError, NoSuchModuleError) as exc:
            reason = getattr(exc, "orig", None) or exc
            raise ExternalSourceError(f"cannot read {self.describe()}: {str(reason).strip()}") from None
        except pd.errors.DatabaseError as exc:
            # pandas wraps a statement that fails as it starts (with its SQL and parameters, which
            # are not said); it is an OSError, which a Dask client would take for a cluster failure.
            reason = getattr(exc.__cause__, "orig", None) or exc.__cause__ or exc
            raise ExternalSourceError(f"cannot read {self.describe()}: {str(reason).strip()}") from None

    def arrow_window(
        self, start: datetime | None = None, end: datetime | None = None, *, time_column: str | None = None
    ) -> pa.Table | None:
        """PostgreSQL (psycopg) tables whose every column type COPY round-trips exactly: the window
        through `COPY ... TO STDOUT`, parsed by Arrow (external_copy.py). None otherwise, or for an
        empty window: then `chunks` reads it."""
        if self.table_name is None:
            return None
        url = make_url(self.url)
        if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
            return None
        try:
            with self._connect().connect() as connection:
                statement = self._table_select(connection, start, end, time_column)
                assert self._table is not None
                types = [(c.name, arrow_type(c.type)) for c in statement.selected_columns]
                if any(t is None for _, t in types):
                    return None
                return copy_table(connection, statement, [(n, t) for n, t in types if t is not None])
        except CopyFailed as exc:
            raise ExternalSourceError(f"cannot read {self.describe()}: {exc}") from None
        except (SQLAlchemyError, NoSuchModuleError) as exc:
            reason = getattr(exc, "orig", None) or exc
            raise ExternalSourceError(f"cannot read {self.describe()}: {str(reason).strip()}") from None

    def _table_select(
        self, connection: Connection, start: datetime | None, end: datetime | None, time_column: str | None
    ) -> Select[Any]:
        if self._table is None:
            try:
                self._table = Table(
                    self.table_name or "", MetaData(), schema=self.schema, autoload_with=connection
                )
            except NoSuchTableError:
                raise ExternalSourceError(f"{self.describe()} does not exist") from None
        table = self._table
        chosen = [table.c[c] for c in self.columns or [] if c in table.c]
        statement = select(*chosen) if chosen else select(table)
        if time_column is None or (start is None and end is None):
            return statement
        if time_column not in table.c:
            columns = ", ".join(c.name for c in table.c)
            raise ExternalSourceError(
                f"time column {time_column!r} is not in {self.describe()} (columns: {columns})"
            )
        column = table.c[time_column]
        if not isinstance(column.type, DateTime):
            raise ExternalSourceError(
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
            raise ExternalSourceError(
                "the query must select one window with :start and :end, e.g. "
                "WHERE ts >= :start AND ts < :end (it would otherwise read every row for every window)"
            )
        if not windowed and named & {"start", "end"}:
            raise ExternalSourceError(
                "the query uses :start/:end but this read has no window; a reference needs a query "
                "without them, or `type: period` with fixed dates"
            )
        unknown = named - {"start", "end"}
        if unknown:
            raise ExternalSourceError(
                f"the query uses parameters the service cannot fill: {', '.join(sorted(unknown))}"
            )
        if not windowed:
            return clause
        aware = make_url(self.url).get_backend_name() == "postgresql"
        return clause.bindparams(
            bindparam("start", _bound(start, aware), type_=DateTime(timezone=aware)),
            bindparam("end", _bound(end, aware), type_=DateTime(timezone=aware)),
        )


def _limited(statement: Select[Any] | TextClause, limit: int) -> Select[Any]:
    if isinstance(statement, Select):
        return statement.limit(limit)
    # The user's query as a subquery: its own text and bound parameters stay as they are.
    return select(literal_column("*")).select_from(statement.columns().subquery("sample")).limit(limit)


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
        raise ExternalSourceError(f"not a database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return create_engine(parsed, connect_args={"check_same_thread": False})
    if backend == "postgresql" and parsed.get_driver_name() in ("psycopg", "psycopg2"):
        return create_engine(parsed, pool_pre_ping=True, connect_args={"options": "-c TimeZone=UTC"})
    return create_engine(parsed, pool_pre_ping=True)
