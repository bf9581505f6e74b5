"""Rows pushed over HTTP: inserted once per (model, prediction id), read back a window at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import JSON, Select, Table, Text, delete, select
from sqlalchemy import cast as cast_sql
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.tables import IngestedLabelRow, IngestedPredictionRow

Stream = Literal["predictions", "ground_truth"]


def insert_predictions(
    sessions: sessionmaker[Session], rows: Sequence[dict[str, Any]], *, model: str, now: datetime
) -> int:
    """Stores rows of `{"id", "time", "values"}` whose id is new; returns how many were new."""
    values = [
        {
            "model": model,
            "prediction_id": r["id"],
            "time": r["time"],
            "row_values": r["values"],
            "received_at": now,
        }
        for r in rows
    ]
    with sessions() as session, session.begin():
        return _insert_new(session, cast(Table, IngestedPredictionRow.__table__), values)


def insert_labels(
    sessions: sessionmaker[Session], rows: Sequence[dict[str, Any]], *, model: str, now: datetime
) -> int:
    """Stores rows of `{"id", "time", "label"}` (time None: known on arrival) whose id is new."""
    values = [
        {
            "model": model,
            "prediction_id": r["id"],
            "label": r["label"],
            "labelled_at": r["time"] or now,
            "received_at": now,
        }
        for r in rows
    ]
    with sessions() as session, session.begin():
        return _insert_new(session, cast(Table, IngestedLabelRow.__table__), values)


def _insert_new(session: Session, table: Table, rows: list[dict[str, Any]]) -> int:
    if session.get_bind().dialect.name == "postgresql":
        return _copy_new(session, table, rows)
    statement = (
        sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=["model", "prediction_id"])
        .returning(table.c.id)
    )
    return len(session.execute(statement, rows).all())


def _raw(value: Any) -> Any:
    # COPY bypasses the column types, so times are written in the stored convention (naive UTC) here.
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


def _copy_new(session: Session, table: Table, rows: list[dict[str, Any]]) -> int:
    """PostgreSQL: COPY into a temporary table, then one INSERT ... ON CONFLICT DO NOTHING, several
    times faster than row-by-row parameters. Every name here is the service's own schema's."""
    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    sql_type = {
        c: "text" if c in json_columns else str(table.c[c].type.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
        for c in columns
    }
    names = ", ".join(columns)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            f"CREATE TEMPORARY TABLE ingest_batch ({', '.join(f'{c} {sql_type[c]}' for c in columns)}) "
            "ON COMMIT DROP"
        )
        with cursor.copy(f"COPY ingest_batch ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in json_columns else _raw(row[c]) for c in columns])
        selected = ", ".join(f"{c}::json" if c in json_columns else c for c in columns)
        cursor.execute(
            f"INSERT INTO {table.name} ({names}) SELECT {selected} FROM ingest_batch "
            "ON CONFLICT (model, prediction_id) DO NOTHING"
        )
        inserted = int(cursor.rowcount)
        cursor.execute("DROP TABLE ingest_batch")
        return inserted
    finally:
        cursor.close()


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
