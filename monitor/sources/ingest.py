"""Rows pushed over HTTP: accepting a batch into the service database, and reading windows back.

Accepting: the body is parsed and every row checked against the model's schema (monitor.config
`schema`), a column at a time when it can be (monitor.sources.ingest_columns), before anything is
written; then the whole batch is inserted in one transaction. The
unique (model, prediction id) constraint with ON CONFLICT DO NOTHING makes a resent batch (a client
retrying after a timeout) add nothing: the first row stored for an id wins, the response counts the
duplicates.

Reading back: the scheduler reads a window like from any other source, streamed in chunks.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

from monitor.config import Config, MonitorConfig, role_column_names
from monitor.sources.base import SourceContext, SourceError, register, utc_frame_times
from monitor.sources.ingest_bodies import PARQUET_TYPES, json_table, media_type, parquet_table, table_rows
from monitor.sources.ingest_columns import checked_table, records_rows
from monitor.sources.ingest_rows import BatchTooLarge as BatchTooLarge
from monitor.sources.ingest_rows import RowSchema, parse_body, validate_rows
from monitor.store import SessionFactory, process_sessions
from monitor.store.ingest import Stream as Stream
from monitor.store.ingest import insert_labels, insert_predictions, read_ingested

CHUNK_ROWS = 50_000


class UnknownModel(LookupError):
    pass


@dataclass(frozen=True)
class IngestResult:
    rows: int
    accepted: int  # newly stored
    duplicates: int  # ids stored before (a resent batch)


def prediction_schema(monitor: MonitorConfig) -> RowSchema:
    schema = monitor.schema_
    columns: dict[str, str | None] = {name: schema.types.get(name) for name in schema.features or []}
    if schema.prediction_column:
        columns[schema.prediction_column] = schema.types.get(schema.prediction_column)
    scores = [schema.score_column] if schema.score_column else []
    for column in [*scores, *(schema.class_score_columns or {}).values()]:
        columns[column] = schema.types.get(column, "number")
    # Declared types of role columns other than the outputs above belong to labels rows, or are id/time.
    reserved = role_column_names(monitor) - set(columns)
    for name, declared in schema.types.items():
        if name not in reserved:
            columns.setdefault(name, declared)
    return RowSchema(schema.id_column, schema.timestamp_column, True, columns)


def label_schema(monitor: MonitorConfig) -> RowSchema:
    labels = monitor.labels
    assert labels is not None
    label = labels.label_column
    return RowSchema(
        labels.id_column,
        labels.timestamp_column,
        False,
        {label: monitor.schema_.types.get(label)},
        required=(label,),
    )


def monitor_for(config: Config, model: str, stream: Stream) -> MonitorConfig:
    """The monitor whose schema rows of `model` are checked against (config keeps one per model)."""
    for monitor in config.monitors.values():
        if monitor.model != model:
            continue
        if stream == "predictions" and monitor.source.type == "ingest":
            return monitor
        if stream == "ground_truth" and monitor.labels is not None and monitor.labels.source.type == "ingest":
            return monitor
    what = "predictions" if stream == "predictions" else "ground truth"
    pushed = sorted({m.model for m in config.monitors.values() if m.source.type == "ingest"})
    raise UnknownModel(
        f"no monitor reads {what} of model {model!r} from HTTP (`type: ingest`); "
        f"models accepting pushed predictions: {', '.join(pushed) or 'none'}"
    )


def ingest_batch(
    config: Config,
    sessions: SessionFactory,
    *,
    model: str,
    stream: Stream,
    body: bytes,
    content_type: str,
    now: datetime,
) -> IngestResult:
    """Parse, check and store one batch: all rows or none. Raises UnknownModel, BatchTooLarge,
    UnsupportedMediaType or BatchRejected (with row-level errors)."""
    monitor = monitor_for(config, model, stream)
    schema = prediction_schema(monitor) if stream == "predictions" else label_schema(monitor)
    # Times within a window around now (naive UTC, as stored): no run for 1969, no row from year 9999.
    utc_now = now.astimezone(UTC).replace(tzinfo=None)
    bounds = {
        "earliest": utc_now - config.ingest.max_row_age,
        "latest": utc_now + config.ingest.max_row_ahead,
    }
    objects = stream == "predictions"
    media = media_type(content_type)
    if media in PARQUET_TYPES:
        table: pa.Table | None = parquet_table(
            body, schema, max_rows=config.ingest.max_rows, max_bytes=config.ingest.max_body_bytes
        )
    else:
        table = json_table(body, media, schema)
    batch = None
    if table is not None:
        _within(table.num_rows, config.ingest.max_rows)
        batch = checked_table(table, schema, objects=objects, **bounds)
    if batch is None:
        # Something the column checks could not prove right: the row checks say what, row by row.
        rows = (
            table_rows(table)
            if media in PARQUET_TYPES and table is not None
            else parse_body(body, content_type)
        )
        _within(len(rows), config.ingest.max_rows)
        batch = records_rows(validate_rows(rows, schema, **bounds), objects=objects)
    store = insert_predictions if objects else insert_labels
    accepted = store(sessions, batch, model=model, now=now)
    return IngestResult(len(batch.ids), accepted, len(batch.ids) - accepted)


def _within(rows: int, limit: int) -> None:
    if rows > limit:
        raise BatchTooLarge(f"the batch holds {rows} rows, more than the limit of {limit}; split it")


_ARROW_TYPES = {
    "number": pa.float64(),
    "integer": pa.int64(),
    "string": pa.string(),
    "boolean": pa.bool_(),
    "timestamp": pa.string(),  # parsed by pandas below, offsets and all
}


def _decode_rows(texts: list[str], columns: list[str], types: dict[str, str | None]) -> pd.DataFrame:
    """Stored JSON objects to columns with Arrow's JSON reader (C++, columnar): per-row json.loads
    was most of the time of reading a window back. Python's parser takes over when an undeclared
    column mixes types, which Arrow refuses."""
    explicit = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in types.items() if kind])
    data = "\n".join(texts).encode()
    try:
        table = pa_json.read_json(
            io.BytesIO(data),
            read_options=pa_json.ReadOptions(block_size=max(1 << 20, min(len(data), 1 << 26))),
            parse_options=pa_json.ParseOptions(explicit_schema=explicit, unexpected_field_behavior="infer"),
        )
        frame = table.to_pandas()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        frame = pd.DataFrame.from_records([json.loads(text) for text in texts])
    return frame.reindex(columns=columns)


def _typed(frame: pd.DataFrame, types: dict[str, str | None]) -> pd.DataFrame:
    """Columns back to the types the schema declares (JSON keeps only numbers, strings and booleans)."""
    for name, declared in types.items():
        column = frame[name]
        if declared == "timestamp":
            frame[name] = pd.to_datetime(column, utc=True, format="ISO8601")
        elif declared == "number":
            frame[name] = pd.to_numeric(column).astype("float64")
        elif declared == "integer":
            numbers = pd.to_numeric(column)
            frame[name] = numbers.astype("int64") if numbers.notna().all() else numbers.astype("float64")
    return frame


class IngestSource:
    """Pushed predictions or labels of one model, read back from the service database."""

    def __init__(self, sessions: SessionFactory, monitor: MonitorConfig, stream: Stream) -> None:
        self.sessions = sessions
        self.monitor = monitor
        self.stream = stream

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

    def _frame(
        self, start: datetime | None, end: datetime | None, time_column: str | None, *, limit: int | None
    ) -> pd.DataFrame:
        if self.stream == "predictions":
            schema = prediction_schema(self.monitor)
            time_name = schema.time_column or "time"
        else:
            schema = label_schema(self.monitor)
            time_name = schema.time_column or "labelled_at"
        if time_column is not None and time_column != time_name and (start or end):
            raise SourceError(f"pushed rows are kept by {time_name!r}, not {time_column!r}")
        columns = list(schema.columns)
        frames = []
        chunks = read_ingested(
            self.sessions,
            model=self.monitor.model,
            stream=self.stream,
            start=start,
            end=end,
            chunk_rows=CHUNK_ROWS,
            limit=limit,
        )
        for ids, times, payloads in chunks:
            if self.stream == "predictions":
                values = _decode_rows(list(payloads), columns, dict(schema.columns))
            else:
                values = pd.DataFrame({columns[0]: json.loads(f"[{','.join(payloads)}]")})
            values.insert(0, time_name, list(times))
            values.insert(0, schema.id_column, list(ids))
            frames.append(values)
        if frames:
            frame = pd.concat(frames, ignore_index=True)
        else:
            frame = pd.DataFrame(
                {name: pd.Series(dtype="object") for name in [schema.id_column, time_name, *columns]}
            )
            frame[time_name] = pd.Series(dtype="datetime64[us]")
        frame = _typed(frame, dict(schema.columns))
        return utc_frame_times(frame, time_name)


def pushed_columns(monitor: MonitorConfig) -> list[str]:
    """The columns of a window of pushed predictions: id, time, then the schema's."""
    schema = prediction_schema(monitor)
    return [schema.id_column, schema.time_column or "time", *schema.columns]


def read_ingest_range(
    database: str, monitor: MonitorConfig, columns: list[str], start: datetime, end: datetime
) -> pd.DataFrame:
    """The pushed predictions of [start, end), only `columns`: one piece of a window read on a Dask
    worker, from the service's database (`database`: its URL) through the worker's own sessions."""
    frame = IngestSource(process_sessions(database), monitor, "predictions").read(start, end)
    return frame[[c for c in columns if c in frame.columns]]


def _build(config: Any, context: SourceContext) -> IngestSource:
    if context.sessions is None or context.monitor is None:
        raise SourceError(
            "an `ingest` source reads the service database; it serves monitors of the service only"
        )
    stream: Stream = "ground_truth" if context.role == "labels" else "predictions"
    return IngestSource(context.sessions, context.monitor, stream)


register("ingest", _build)
