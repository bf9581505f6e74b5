"""The label store's bulk paths, for windows of a million predictions: a window's labels looked up by
all its ids at once, and its ids stored at once, in a few statements instead of one per 500 ids.

- SQLite: the ids go as one JSON array parameter, which `json_each` turns into rows inside SQLite
  (`IN (SELECT value FROM json_each(:ids))`, so an id given twice matches once).
- PostgreSQL: the distinct ids are COPYed (binary) into a temporary table, analysed so the planner
  hash-joins rather than probing the index a million times, and the labels come back through
  `COPY (SELECT ...) TO STDOUT` parsed by Arrow (external_copy.py).

Labels come back as columns (LabelColumns): the JSON values parsed in one `json.loads` of the joined
texts and the times as Arrow timestamps, with no SQLAlchemy result processing per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from psycopg.errors import UniqueViolation
from sqlalchemy import String, Text, cast, select, text
from sqlalchemy.orm import Session

from monitor.store.copy_binary import binary_copy
from monitor.store.external_copy import copy_table
from monitor.store.label_tables import LabelRow

_STAMP = pa.timestamp("us")
SQLITE_CACHE_KIB = 256 * 1024
_TEMP_IDS = "label_lookup_ids"


@dataclass(frozen=True)
class StoredLabel:
    join_id: str
    value: Any
    labelled_at: datetime
    pulled_through: datetime


@dataclass(frozen=True)
class LabelColumns:
    """Stored labels as columns: ids (Arrow strings), values (as JSON gives them), and the times
    they became known and were pulled through (Arrow timestamps, naive UTC microseconds)."""

    join_ids: pa.Array
    values: list[Any]
    labelled_at: pa.Array
    pulled_through: pa.Array

    def __len__(self) -> int:
        return len(self.values)

    def labels(self) -> list[StoredLabel]:
        def times(column: pa.Array) -> list[datetime]:
            return [t.replace(tzinfo=UTC) for t in column.to_pylist()]

        return [
            StoredLabel(*row)
            for row in zip(
                self.join_ids.to_pylist(),
                self.values,
                times(self.labelled_at),
                times(self.pulled_through),
                strict=True,
            )
        ]


def _parse(values: list[str | None]) -> list[Any]:
    """JSON texts parsed at once, as parsing each gives (a NULL is JSON's null)."""
    parsed: list[Any] = json.loads("[" + ",".join("null" if v is None else v for v in values) + "]")
    return parsed


def _selected() -> Any:
    return select(
        LabelRow.join_id,
        cast(LabelRow.value, Text).label("value"),
        cast(LabelRow.labelled_at, String).label("labelled_at"),
        cast(LabelRow.pulled_through, String).label("pulled_through"),
    )


def _from_rows(rows: Sequence[Any]) -> LabelColumns:
    """Rows of texts (id, JSON value, time, time) as columns; the times parsed by Arrow."""
    if not rows:
        return LabelColumns(pa.array([], pa.string()), [], pa.array([], _STAMP), pa.array([], _STAMP))
    ids, values, labelled, pulled = (list(c) for c in zip(*rows, strict=True))
    labelled_at, pulled_through = (pa.array(c, pa.string()).cast(_STAMP) for c in (labelled, pulled))
    return LabelColumns(pa.array(ids, pa.string()), _parse(values), labelled_at, pulled_through)


def labels_of_ids(session: Session, monitor_id: int, ids: Sequence[str]) -> LabelColumns:
    """The stored labels of these prediction ids, each once, in no particular order."""
    if not ids:
        return _from_rows([])
    if session.get_bind().dialect.name == "postgresql":
        return _postgres_labels(session, monitor_id, ids)
    return _sqlite_labels(session, monitor_id, ids)


def _sqlite_labels(session: Session, monitor_id: int, ids: Sequence[str]) -> LabelColumns:
    """SQLite gathers each column of the found labels into one JSON array (values as the JSON they
    are), so a million rows cross into Python as four texts, not a million tuples."""
    table = LabelRow.__tablename__
    query = (
        "SELECT json_group_array(join_id), json_group_array(json(value)), "
        "json_group_array(labelled_at), json_group_array(pulled_through) "
        f"FROM {table} WHERE monitor_id = ? AND join_id IN (SELECT value FROM json_each(?))"
    )
    # Sorted, SQLite builds the IN list's b-tree by appending and probes the index in its order:
    # 2.0 s instead of 3.5 s for a million ids in random order.
    listed = _sqlite_json(_distinct_sorted(ids))
    with _sqlite_cache(session) as cursor:
        found = cursor.execute(query, (monitor_id, listed)).fetchone()
    join_ids, values, labelled, pulled = (json.loads(column) for column in found)
    labelled_at, pulled_through = (pa.array(c, pa.string()).cast(_STAMP) for c in (labelled, pulled))
    return LabelColumns(pa.array(join_ids, pa.string()), values, labelled_at, pulled_through)


def _distinct(ids: Sequence[str]) -> pa.Array:
    return _without_nul(pc.unique(pa.array(ids, pa.string())))


def _distinct_sorted(ids: Sequence[str]) -> pa.Array:
    """Each id once, in byte order (SQLite's and PostgreSQL's C order alike)."""
    unique = _distinct(ids)
    return unique.take(pc.array_sort_indices(unique))


def _without_nul(ids: pa.Array) -> pa.Array:
    """The ids, none holding a NUL character: PostgreSQL's text cannot hold one, and SQLite's JSON
    functions end a text at it, so two ids differing after one would match the same label."""
    if len(ids) and pc.any(pc.match_substring(ids, "\x00")).as_py():
        raise ValueError("a prediction id contains a NUL character, which the label store cannot hold")
    return ids


def _sqlite_json(ids: pa.Array) -> str:
    """The ids as the JSON array `json_each` reads."""
    return json.dumps(ids.to_pylist(), ensure_ascii=False)


@contextmanager
def _sqlite_cache(session: Session) -> Iterator[Any]:
    """SQLite: a page cache of SQLITE_CACHE_KIB for one bulk statement, then the connection's own
    again (which frees the pages). A million index probes land on rows all over the labels table;
    with the default 2 MiB cache most of them read their page again."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        before = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        try:
            yield cursor
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")
    finally:
        cursor.close()


def _copy_ids_to_temp(session: Session, ids: Sequence[str]) -> None:
    """The distinct ids in a temporary table, analysed (its size steers the join's plan)."""
    unique = _distinct(ids)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"CREATE TEMPORARY TABLE {_TEMP_IDS} (join_id text) ON COMMIT DROP")
        with cursor.copy(f"COPY {_TEMP_IDS} (join_id) FROM STDIN (FORMAT binary)") as copy:
            for piece in binary_copy([unique]):
                copy.write(piece)
        cursor.execute(f"ANALYZE {_TEMP_IDS}")
    finally:
        cursor.close()


def _postgres_labels(session: Session, monitor_id: int, ids: Sequence[str]) -> LabelColumns:
    _copy_ids_to_temp(session, ids)
    try:
        found = (
            LabelRow.monitor_id == monitor_id,
            LabelRow.join_id.in_(text(f"SELECT join_id FROM {_TEMP_IDS}")),
        )
        statement: Any = select(
            LabelRow.join_id,
            cast(LabelRow.value, Text).label("value"),
            LabelRow.labelled_at,
            LabelRow.pulled_through,
        ).where(*found)
        types = [("join_id", pa.string()), ("value", pa.string()), ("at", _STAMP), ("through", _STAMP)]
        table = copy_table(session.connection(), statement, types)
        if table is None:  # no label, or text Arrow cannot parse: the same rows, one by one
            return _from_rows(session.execute(_selected().where(*found)).all())
        return LabelColumns(
            table.column("join_id").combine_chunks(),
            _parse(table.column("value").to_pylist()),
            table.column("at").combine_chunks(),
            table.column("through").combine_chunks(),
        )
    finally:
        session.execute(text(f"DROP TABLE IF EXISTS {_TEMP_IDS}"))


def insert_window_ids(session: Session, run_id: int, monitor_id: int, ids: Sequence[str]) -> None:
    """Stores each distinct id of the window once (SQLite: from a JSON array; PostgreSQL: binary COPY)."""
    if not ids:
        return
    # In id order, made distinct and sorted by Arrow: both indexes grow at their end.
    unique = _distinct_sorted(ids)
    if session.get_bind().dialect.name != "postgresql":
        _sqlite_window_ids(session, run_id, monitor_id, unique, "INSERT")
        return
    _copy_window_ids(session, run_id, monitor_id, unique)


def add_window_ids(session: Session, run_id: int, monitor_id: int, ids: Sequence[str]) -> None:
    """Adds the distinct ids of one piece of the window beside those other pieces stored (an id in two
    pieces is kept once), as a cluster's workers store a window they read a piece each of."""
    if not ids:
        return
    unique = _distinct_sorted(ids)
    if session.get_bind().dialect.name != "postgresql":
        _sqlite_window_ids(session, run_id, monitor_id, unique, "INSERT OR IGNORE")
        return
    try:  # almost always no other piece holds one of these ids: the COPY, in a savepoint
        with session.begin_nested():
            _copy_window_ids(session, run_id, monitor_id, unique)
        return
    except UniqueViolation:
        pass
    statement = (
        "INSERT INTO window_ids (run_id, monitor_id, join_id) "
        "SELECT :run_id, :monitor_id, unnest(CAST(:ids AS text[])) ON CONFLICT DO NOTHING"
    )
    session.execute(text(statement), {"run_id": run_id, "monitor_id": monitor_id, "ids": unique.to_pylist()})


def _sqlite_window_ids(
    session: Session,
    run_id: int,
    monitor_id: int,
    unique: pa.Array,
    verb: Literal["INSERT", "INSERT OR IGNORE"],
) -> None:
    """SQLite: the ids from one JSON array; INSERT OR IGNORE keeps those already stored."""
    statement = (
        f"{verb} INTO window_ids (run_id, monitor_id, join_id) "
        "SELECT :run_id, :monitor_id, value FROM json_each(:ids)"
    )
    with _sqlite_cache(session):
        session.execute(
            text(statement),
            {"run_id": run_id, "monitor_id": monitor_id, "ids": _sqlite_json(unique)},
        )


def _copy_window_ids(session: Session, run_id: int, monitor_id: int, unique: pa.Array) -> None:
    """PostgreSQL: the ids in one binary COPY (an id already stored for the run: a unique violation)."""
    count = len(unique)
    data = binary_copy(
        [pa.array([run_id] * count, pa.int32()), pa.array([monitor_id] * count, pa.int32()), unique]
    )
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy("COPY window_ids (run_id, monitor_id, join_id) FROM STDIN (FORMAT binary)") as copy:
            for piece in data:
                copy.write(piece)
    finally:
        cursor.close()
