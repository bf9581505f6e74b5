"""Pushed rows checked a column at a time with Arrow, and their stored JSON written in bulk. Pure.

The row checks (monitor.sources.ingest_rows) define what a batch may hold and say where it is wrong;
checking a value at a time in Python was most of the time of ingestion. This is a faster way to the
same answer for a batch whose columns are plainly right: every row check has a column-wise
counterpart here (types, required values, ids present, unique and storable, times parsed and within
range, finite numbers, no NUL). Whatever it cannot prove right (a wrong value, a column type it does
not handle, an integral float in an integer column, which the row checks accept) makes it return
None, and the batch goes through the row checks, which accept it or name each row and field at
fault. So the column checks may refuse more than the row checks, never less.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from monitor.sources.ingest_rows import Record, RowSchema
from monitor.store.ingest import PushedRows

MAX_ID_CHARS = 200
_MICROS = pa.timestamp("us")
# datetime's range: a time Arrow can hold but Python cannot (an offset past year 9999) is refused.
_FIRST, _LAST = pa.scalar(datetime.min, _MICROS), pa.scalar(datetime.max, _MICROS)
_ALLOWED: dict[str | None, tuple[pa.DataType, ...]] = {
    None: (pa.int64(), pa.float64(), pa.bool_(), pa.string()),  # any scalar
    "number": (pa.int64(), pa.float64()),
    "integer": (pa.int64(),),
    "string": (pa.string(),),
    "boolean": (pa.bool_(),),
}


def known_columns(schema: RowSchema) -> set[str]:
    known = {schema.id_column, *schema.columns}
    if schema.time_column:
        known.add(schema.time_column)
    return known


def checked_table(
    table: pa.Table, schema: RowSchema, *, earliest: datetime, latest: datetime, objects: bool = True
) -> PushedRows | None:
    """The batch to store if every row of `table` passes the row checks, else None (check them row by
    row). `objects`: each row's values as a JSON object (predictions), else its one value (labels)."""
    names = set(table.column_names)
    if table.num_rows == 0 or not names <= known_columns(schema) or schema.id_column not in names:
        return None
    ids = _ids(plain(table.column(schema.id_column)))
    times = _row_times(table, schema, earliest=earliest, latest=latest)
    if ids is None or times is None:
        return None
    values: dict[str, pa.Array] = {}
    for name, expected in schema.columns.items():
        if name not in names:
            if name in schema.required:
                return None
            continue
        column = _checked(plain(table.column(name)), expected)
        if column is None or (name in schema.required and column.null_count):
            return None
        values[name] = column
    payloads = json_objects(values, table.num_rows) if objects else json_texts(next(iter(values.values())))
    return PushedRows(ids, times, payloads)


def plain(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One array of the types the checks know: 64-bit numbers, strings decoded from dictionaries."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = array.type
    if pa.types.is_dictionary(kind):
        return plain(array.dictionary_decode())
    try:
        if pa.types.is_integer(kind) and kind != pa.int64():
            return array.cast(pa.int64())  # a uint64 past int64 fails here: the row checks say so
        if pa.types.is_floating(kind) and kind != pa.float64():
            return array.cast(pa.float64())
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            return array.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return array
    return array


def _ids(column: pa.Array) -> pa.Array | None:
    """Ids as text: present, non-empty strings or integers, storable, unique within the batch."""
    if column.null_count:
        return None
    if column.type == pa.int64():
        column = column.cast(pa.string())
    elif column.type != pa.string() or not _storable_text(column):
        return None
    lengths = pc.utf8_length(column)
    if pc.min(lengths).as_py() < 1 or pc.max(lengths).as_py() > MAX_ID_CHARS:
        return None
    if pc.count_distinct(column).as_py() != len(column):
        return None
    return column


def _row_times(
    table: pa.Table, schema: RowSchema, *, earliest: datetime, latest: datetime
) -> pa.Array | None:
    """Each row's time as naive UTC, null where a label's time is left to its arrival."""
    if schema.time_column is None or schema.time_column not in table.column_names:
        return None if schema.time_required else pa.nulls(table.num_rows, _MICROS)
    times = utc_times(plain(table.column(schema.time_column)))
    if times is None or (schema.time_required and times.null_count):
        return None
    low, high = pc.min(times).as_py(), pc.max(times).as_py()
    if low is not None and not (earliest <= low and high <= latest):
        return None
    return times


def utc_times(column: pa.Array) -> pa.Array | None:
    """ISO 8601 strings (parsed as `datetime.fromisoformat` does, no offset meaning UTC) or Arrow
    timestamps (naive ones taken as UTC), as naive UTC microseconds; None if one does not parse."""
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), _MICROS)
    if pa.types.is_timestamp(column.type):
        times = column.cast(pa.timestamp(column.type.unit), safe=False).cast(_MICROS, safe=False)
    elif column.type == pa.string():
        try:
            moments = [None if text is None else datetime.fromisoformat(text) for text in column.to_pylist()]
        except ValueError:
            return None
        # Arrow turns aware datetimes to UTC and keeps naive ones as they are (UTC, by the API's rule).
        times = pa.array(moments, pa.timestamp("us", tz="UTC")).cast(_MICROS)
    else:
        return None
    low, high = pc.min(times), pc.max(times)
    if low.is_valid and (pc.less(low, _FIRST).as_py() or pc.greater(high, _LAST).as_py()):
        return None
    return times


def iso_texts(times: pa.Array) -> pa.Array:
    """Naive timestamps as `datetime.isoformat` writes them: fractions of a second only if any."""
    iso = "%Y-%m-%dT%H:%M:%S"
    whole = pc.and_(pc.equal(pc.millisecond(times), 0), pc.equal(pc.microsecond(times), 0))
    seconds = pc.strftime(times.cast(pa.timestamp("s"), safe=False), format=iso)
    return pc.if_else(whole, seconds, pc.strftime(times, format=iso))


def _checked(column: pa.Array, expected: str | None) -> pa.Array | None:
    """The column if every value passes `check_value` as declared (timestamps as their ISO text, the
    form stored), else None."""
    if pa.types.is_null(column.type):
        return column
    if expected == "timestamp":
        times = utc_times(column)
        return None if times is None else iso_texts(times)
    if expected not in _ALLOWED or column.type not in _ALLOWED[expected]:
        return None
    if column.type == pa.float64():
        if pc.all(pc.is_finite(column)).as_py() is False:
            return None
        # Untyped, 2 and 2.0 read back differently (integers, or floats); Arrow has made both 2.0.
        if expected is None and pc.any(pc.equal(pc.floor(column), column)).as_py():
            return None
    if column.type == pa.string() and not _storable_text(column):
        return None
    return column


def _storable_text(column: pa.Array) -> bool:
    """Valid UTF-8 (so no lone surrogate) without NUL: what PostgreSQL text can hold."""
    try:
        column.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return not pc.any(pc.match_substring(column, "\x00")).as_py()


def json_texts(column: pa.Array) -> pa.Array:
    """Each value as JSON text (null stays null); floats as Arrow writes them, the shortest text that
    reads back as the same float."""
    kind = column.type
    if pa.types.is_null(kind):
        return pa.nulls(len(column), pa.string())
    if kind == pa.string():
        if pc.any(pc.match_substring_regex(column, "[\\x00-\\x1f]")).as_py():
            # Control characters need \u escapes: rare enough to leave to Python's encoder.
            return pa.array([None if v is None else json.dumps(v) for v in column.to_pylist()], pa.string())
        if pc.any(pc.match_substring_regex(column, '[\\\\"]')).as_py():
            column = pc.replace_substring(pc.replace_substring(column, "\\", "\\\\"), '"', '\\"')
        return pc.binary_join_element_wise('"', column, '"', "")
    return pc.cast(column, pa.string())


def json_objects(values: dict[str, pa.Array], rows: int) -> pa.Array:
    """Each row's values as one JSON object; a null value is left out, as a missing one."""
    if not values:
        return pa.array(["{}"] * rows, pa.string())
    texts = {name: json_texts(column) for name, column in values.items()}
    if not any(text.null_count for text in texts.values()):
        # Every member in every row: one join, each key and separator a constant.
        parts: list[pa.Array | str] = []
        for position, (name, text) in enumerate(texts.items()):
            parts += [("{" if position == 0 else ", ") + f"{json.dumps(name)}: ", text]
        return pc.binary_join_element_wise(*parts, "}", "")
    # Each member with its separator in front, or nothing; the first separator cut off. (Arrow 26's
    # null_handling="skip" drops rows whose values are all null, rather than joining nothing.)
    members = [
        pc.fill_null(pc.binary_join_element_wise(f", {json.dumps(name)}: ", text, ""), "")
        for name, text in texts.items()
    ]
    inside = pc.utf8_slice_codeunits(pc.binary_join_element_wise(*members, ""), 2)
    return pc.binary_join_element_wise("{", inside, "}", "")


def records_rows(records: Sequence[Record], *, objects: bool = True) -> PushedRows:
    """Rows checked one by one (the row checks' records) as the batch to store."""
    ids = pa.array([r.id for r in records], pa.string())
    times = pa.array([r.time for r in records], _MICROS)
    if objects:
        texts = [json.dumps({k: v for k, v in r.values.items() if v is not None}) for r in records]
    else:
        texts = [json.dumps(next(iter(r.values.values()))) for r in records]
    return PushedRows(ids, times, pa.array(texts, pa.string()))
