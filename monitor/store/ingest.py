"""Rows pushed over HTTP: inserted once per (model, prediction id), read back a window at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

import psycopg
import pyarrow as pa
from sqlalchemy import Select, Table, Text, bindparam, delete, select
from sqlalchemy import cast as cast_sql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.copy_binary import binary_copy
from monitor.store.tables import IngestedLabelRow, IngestedPredictionRow

Stream = Literal["predictions", "ground_truth"]


@dataclass(frozen=True)
class PushedRows:
    """A checked batch, a column each: ids (text), times (naive UTC microseconds; a null label time
    means known on arrival) and each row's values (predictions) or label as JSON text."""

    ids: pa.Array
    times: pa.Array
    payloads: pa.Array


def insert_predictions(
    sessions: sessionmaker[Session], rows: PushedRows, *, model: str, now: datetime
) -> int:
    """Stores the rows whose id is new for the model; returns how many were new."""
    table = cast(Table, IngestedPredictionRow.__table__)
    with sessions() as session, session.begin():
        return _insert_new(session, table, rows, model=model, now=now, columns=("time", "row_values"))


def insert_labels(sessions: sessionmaker[Session], rows: PushedRows, *, model: str, now: datetime) -> int:
    """Stores the labels whose id is new for the model (a null time: known now); returns how many."""
    table = cast(Table, IngestedLabelRow.__table__)
    with sessions() as session, session.begin():
        return _insert_new(session, table, rows, model=model, now=now, columns=("labelled_at", "label"))


def _insert_new(
    session: Session, table: Table, rows: PushedRows, *, model: str, now: datetime, columns: tuple[str, str]
) -> int:
    if session.get_bind().dialect.name == "postgresql":
        return _copy_new(session, table, rows, model=model, now=now, columns=columns)
    time_column, payload_column = columns
    # The payload is JSON text already: bound as text, not encoded again by the JSON column type.
    statement = (
        sqlite.insert(table)
        .values(
            model=model,
            prediction_id=bindparam("prediction_id"),
            received_at=now,
            **{time_column: bindparam(time_column), payload_column: bindparam(payload_column, type_=Text)},
        )
        .on_conflict_do_nothing(index_elements=["model", "prediction_id"])
        .returning(table.c.id)
    )
    params = [
        {"prediction_id": i, time_column: (now if t is None else t.replace(tzinfo=UTC)), payload_column: p}
        for i, t, p in zip(
            rows.ids.to_pylist(), rows.times.to_pylist(), rows.payloads.to_pylist(), strict=True
        )
    ]
    return len(session.execute(statement, params).all())


def _copy_new(
    session: Session, table: Table, rows: PushedRows, *, model: str, now: datetime, columns: tuple[str, str]
) -> int:
    """PostgreSQL: the batch in PostgreSQL's binary COPY format, built by Arrow (no Python per row),
    COPYed straight into the table. An id stored before (a resent batch) fails that COPY on the
    unique constraint; the batch then goes through a temporary table and one INSERT ... ON CONFLICT
    DO NOTHING, which skips the ids stored before. Every name here is the service's own schema's."""
    time_column, payload_column = columns
    stamp = pa.timestamp("us")
    received = pa.scalar(now.astimezone(UTC).replace(tzinfo=None), stamp)
    count = len(rows.ids)
    data = binary_copy(
        [
            pa.array([model] * count, pa.string()),
            rows.ids,
            rows.times.cast(stamp).fill_null(received),  # a label's time left to its arrival
            rows.payloads,
            pa.array([received.as_py()] * count, stamp),
        ]
    )
    names = f"model, prediction_id, {time_column}, {payload_column}, received_at"
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("SAVEPOINT ingest_copy")
        try:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT binary)") as copy:
                for piece in data:
                    copy.write(piece)
        except psycopg.errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT ingest_copy")
            return _insert_unknown_ids(cursor, table.name, names, data)
        cursor.execute("RELEASE SAVEPOINT ingest_copy")
        return count
    finally:
        cursor.close()


def _insert_unknown_ids(
    cursor: psycopg.Cursor[Any], table: str, names: str, data: list[bytes | memoryview]
) -> int:
    cursor.execute(
        f"CREATE TEMPORARY TABLE ingest_batch ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"
    )
    with cursor.copy(f"COPY ingest_batch ({names}) FROM STDIN (FORMAT binary)") as copy:
        for piece in data:
            copy.write(piece)
    cursor.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM ingest_batch "
        "ON CONFLICT (model, prediction_id) DO NOTHING"
    )
    inserted = int(cursor.rowcount)
    cursor.execute("DROP TABLE ingest_batch")
    return inserted


def read_ingested(
    sessions: sessionmaker[Session],
    *,
    model: str,
    stream: Stream,
    start: datetime | None,
    end: datetime | None,
    chunk_rows: int,
    limit: int | None = None,
) -> Iterator[tuple[tuple[str, ...], tuple[datetime, ...], tuple[str, ...]]]:
    """Chunks of (ids, times, JSON texts of the values or labels), ordered by time then id, so the
    same rows give the same frame on every read; the first `limit` rows only when given."""
    table: Any = IngestedPredictionRow if stream == "predictions" else IngestedLabelRow
    time = table.time if stream == "predictions" else table.labelled_at
    payload = table.row_values if stream == "predictions" else table.label
    # As text: decoded in bulk by the caller, not row by row by the driver.
    statement: Select[Any] = select(table.prediction_id, time, cast_sql(payload, Text)).where(
        table.model == model
    )
    if start is not None:
        statement = statement.where(time >= start)
    if end is not None:
        statement = statement.where(time < end)
    statement = statement.order_by(time, table.prediction_id).limit(limit)
    with sessions() as session:
        result = session.connection().execution_options(stream_results=True).execute(statement)
        for part in result.partitions(chunk_rows):
            ids, times, payloads = zip(*part, strict=True)
            yield ids, times, payloads


def stored_rows(
    *, session: Session, model: str, stream: Stream, ids: Sequence[str]
) -> list[tuple[str, datetime, Any, datetime]]:
    """(id, time, values or label, received) of the given ids of a model's pushed rows."""
    if stream == "predictions":
        prediction_rows = session.execute(
            select(
                IngestedPredictionRow.prediction_id,
                IngestedPredictionRow.time,
                IngestedPredictionRow.row_values,
                IngestedPredictionRow.received_at,
            ).where(IngestedPredictionRow.model == model, IngestedPredictionRow.prediction_id.in_(ids))
        )
        return [(i, t, v, r) for i, t, v, r in prediction_rows]
    label_rows = session.execute(
        select(
            IngestedLabelRow.prediction_id,
            IngestedLabelRow.labelled_at,
            IngestedLabelRow.label,
            IngestedLabelRow.received_at,
        ).where(IngestedLabelRow.model == model, IngestedLabelRow.prediction_id.in_(ids))
    )
    return [(i, t, v, r) for i, t, v, r in label_rows]


def delete_rows(session: Session, *, model: str, stream: Stream, ids: Sequence[str]) -> int:
    """Removes pushed rows by id (an admin's way out of a row that breaks its window)."""
    row = IngestedPredictionRow if stream == "predictions" else IngestedLabelRow
    result = session.execute(delete(row).where(row.model == model, row.prediction_id.in_(ids)))
    return int(getattr(result, "rowcount", 0) or 0)
