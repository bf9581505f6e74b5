"""Pushed bodies read into Arrow tables: JSON and NDJSON by Arrow's JSON reader, Parquet as columns.

JSON is read by Arrow (C++) only where that cannot disagree with Python's `json` module, which
defines what a JSON body holds (monitor.sources.ingest_rows.parse_body): every column has an explicit
type, so a nested value stops the reader at its first bracket (Arrow recurses into values it must
infer, and a deep enough one overflows its stack), an unknown or repeated key stops it, and a body
with a byte-order mark, several objects on an NDJSON line or anything else it reads differently is
left to Python. A column without a declared type takes the type of its value in the first row. None
means: read it with Python, which accepts it or says what is wrong.

Parquet (`application/vnd.apache.parquet`) is read by Arrow only: its row count, column names and
types, and its size once decoded are checked against the limits before its values are (a small file
can decode to gigabytes).
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from monitor.sources.ingest_columns import iso_texts, known_columns, plain, utc_times
from monitor.sources.ingest_rows import (
    JSON_TYPES,
    NDJSON_TYPES,
    BatchRejected,
    BatchTooLarge,
    RowError,
    RowSchema,
    shown,
)

PARQUET_TYPES = ("application/vnd.apache.parquet",)
_DECLARED = {
    "number": pa.float64(),
    "integer": pa.int64(),
    "string": pa.string(),
    "boolean": pa.bool_(),
    "timestamp": pa.string(),  # parsed afterwards, as the row checks parse it
}
_LIST_START = re.compile(r'\s*(?P<rows>\{\s*"rows"\s*:\s*)?\[\s*')
_NEXT_ITEM = re.compile(r"\s*,\s*")
# Untyped columns take the type of their first value in this many rows.
FIRST_ROWS = 20
_BOM = b"\xef\xbb\xbf"
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def json_table(body: bytes, media: str, schema: RowSchema) -> pa.Table | None:
    """The rows of a JSON list, {"rows": [...]} or NDJSON body as columns, or None (read it with
    Python)."""
    if media not in (*JSON_TYPES, *NDJSON_TYPES, "") or _BOM in body:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if media in NDJSON_TYPES:
        lines = [line for line in text.split("\n") if line.strip()]
        arrow_schema = _schema(_first_lines(lines), schema)
        if arrow_schema is None:
            return None
        table = _read(body, arrow_schema, block_size=1 << 20)
        # One object a line, as Python reads it: Arrow would also take two on one line.
        return table if table is not None and table.num_rows == len(lines) else None
    start = _LIST_START.match(text)
    if start is None:
        return None
    arrow_schema = _schema(_first_items(text, start.end()), schema)
    if arrow_schema is None:
        return None
    data = body if start.group("rows") else b'{"rows": ' + body + b"}"
    outer = _read(data, pa.schema([("rows", pa.list_(pa.struct(list(arrow_schema))))]), len(data) + 64)
    if outer is None or outer.num_rows != 1 or outer.column("rows").null_count:
        return None
    rows = outer.column("rows").combine_chunks().flatten()
    if rows.null_count:  # a null in the list, not an object
        return None
    return pa.Table.from_struct_array(rows)


def _first_items(text: str, start: int) -> list[Any]:
    """The first few items of the list starting at `start`, read by Python."""
    decoder, index = json.JSONDecoder(), start
    items: list[Any] = []
    try:
        while len(items) < FIRST_ROWS:
            value, index = decoder.raw_decode(text, index)
            items.append(value)
            following = _NEXT_ITEM.match(text, index)
            if following is None:
                break
            index = following.end()
    except (ValueError, RecursionError):
        pass
    return items


def _first_lines(lines: list[str]) -> list[Any]:
    items = []
    try:
        for line in lines[:FIRST_ROWS]:
            items.append(json.loads(line))
    except (ValueError, RecursionError):
        pass
    return items


def _schema(first: list[Any], schema: RowSchema) -> pa.Schema | None:
    """A type for every column the schema knows: declared, or that of the first value in the first
    rows (integers where there is none: the strictest guess)."""
    if not first or not all(isinstance(row, dict) for row in first):
        return None
    fields = []
    for name in sorted(known_columns(schema)):
        if name == schema.time_column:
            kind: pa.DataType | None = pa.string()
        elif name != schema.id_column and schema.columns.get(name):
            kind = _DECLARED.get(schema.columns[name] or "")
        else:
            kind = _type_of(next((row[name] for row in first if row.get(name) is not None), None))
        if kind is None:
            return None
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def _type_of(value: Any) -> pa.DataType | None:
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int) or value is None:
        return pa.int64() if value is None or -(2**63) <= value < 2**63 else None
    if isinstance(value, float):
        return pa.float64()
    return pa.string() if isinstance(value, str) else None


def _read(data: bytes, schema: pa.Schema, block_size: int) -> pa.Table | None:
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    try:
        return pa_json.read_json(
            io.BytesIO(data), read_options=pa_json.ReadOptions(block_size=block_size), parse_options=options
        )
    except _ARROW_ERRORS:
        return None


def parquet_table(body: bytes, schema: RowSchema, *, max_rows: int, max_bytes: int) -> pa.Table:
    """The rows of a Parquet body, strings still dictionary-encoded where the file has them so. Raises
    BatchRejected (not Parquet, unknown columns, types a row cannot hold) or BatchTooLarge."""
    try:
        file = pq.ParquetFile(pa.BufferReader(body))
        arrow_schema = file.schema_arrow
    except (*_ARROW_ERRORS, OSError) as exc:
        raise BatchRejected([RowError(None, None, f"the body is not a Parquet file: {exc}")]) from None
    rows = file.metadata.num_rows
    if rows > max_rows:
        raise BatchTooLarge(f"the batch holds {rows} rows, more than the limit of {max_rows}; split it")
    _check_columns(arrow_schema, schema)
    meta = file.metadata
    pages = sum(
        meta.row_group(g).column(c).total_uncompressed_size
        for g in range(meta.num_row_groups)
        for c in range(meta.num_columns)
    )
    strings = [f.name for f in arrow_schema if _is_text(f.type)]
    try:
        if pages > max_bytes:
            raise BatchTooLarge(_too_large(pages, max_bytes))
        table = pq.ParquetFile(pa.BufferReader(body), read_dictionary=strings).read()
    except (*_ARROW_ERRORS, OSError) as exc:
        raise BatchRejected([RowError(None, None, f"the Parquet body cannot be read: {exc}")]) from None
    decoded = sum(_decoded_bytes(table.column(name)) for name in table.column_names)
    if decoded > max_bytes:
        raise BatchTooLarge(_too_large(decoded, max_bytes))
    return table


def _too_large(size: int, limit: int) -> str:
    return f"the Parquet body decodes to {size} bytes, more than the limit of {limit} (ingest.max_body_bytes)"


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind))


def _scalar_type(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _is_text(kind.value_type)
    checks = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_timestamp)
    return bool(_is_text(kind) or pa.types.is_null(kind) or any(check(kind) for check in checks))


def _check_columns(arrow_schema: pa.Schema, schema: RowSchema) -> None:
    known = known_columns(schema)
    errors = []
    for field in arrow_schema:
        if field.name not in known:
            errors.append(
                RowError(None, shown(field.name), f"unknown column (known: {', '.join(sorted(known))})")
            )
        elif not _scalar_type(field.type):
            what = "numbers, strings, booleans or timestamps"
            errors.append(RowError(None, shown(field.name), f"a column of {field.type} (send {what})"))
    if errors:
        raise BatchRejected(errors)


def _decoded_bytes(column: pa.ChunkedArray) -> int:
    """Bytes the column takes once its dictionary is decoded, counted without decoding it."""
    total = 0
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            lengths = pc.binary_length(chunk.dictionary)
            total += (pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0) + 4 * len(chunk)
        else:
            total += chunk.nbytes
    return total


def table_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows of a Parquet body as a JSON body would hold them (times as ISO 8601 text), for the row
    checks to say which row and field are wrong."""
    columns = {}
    for name in table.column_names:
        column = plain(table.column(name))
        if pa.types.is_timestamp(column.type):
            times = utc_times(column)
            # Past Python's datetimes: Arrow's text, which the row checks refuse with the value shown.
            column = column.cast(pa.string()) if times is None else iso_texts(times)
        columns[name] = column
    rows: list[dict[str, Any]] = pa.table(columns).to_pylist()
    return rows
