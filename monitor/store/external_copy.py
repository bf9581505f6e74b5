"""PostgreSQL: a `sql` source's table window read with `COPY (SELECT ...) TO STDOUT (FORMAT csv)` and
parsed by Arrow's CSV reader in blocks, instead of psycopg making a Python object of every value.

Only when every column's type has an exact text round trip and an Arrow type the old path would give
too: integers, floats (PostgreSQL writes the shortest exact digits, NaN and +-Infinity), text and
varchar, booleans, timestamps with or without a time zone (the session runs in UTC, so times carry
`+00`). Any other column type (numeric, json, uuid, date, arrays...), a query source, another
database, or a window Arrow cannot parse: None, and the caller reads through SQLAlchemy as before.

The SELECT is SQLAlchemy's own compilation of the same statement (reflected, quoted names; the window
bounds are parameters that psycopg binds client-side, since COPY takes no server-side parameters).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import BigInteger, Boolean, Connection, DateTime, Float, Integer, Select, SmallInteger, String

BLOCK_BYTES = 1 << 22  # Arrow parses the COPY stream 4 MiB at a time


class CopyFailed(Exception):
    """The database refused or broke off the COPY; the message is the driver's."""


def arrow_type(column_type: Any) -> pa.DataType | None:
    """The Arrow type a column's CSV text is parsed as, when the round trip is exact; else None."""
    if isinstance(column_type, Boolean):
        return pa.bool_()
    if isinstance(column_type, Integer | SmallInteger | BigInteger):
        return pa.int64()
    if isinstance(column_type, Float) and not getattr(column_type, "asdecimal", False):
        return pa.float64()
    if isinstance(column_type, DateTime):
        return pa.timestamp("us", tz="UTC") if column_type.timezone else pa.timestamp("us")
    if isinstance(column_type, String) and type(column_type).__name__ in (
        "String",
        "Text",
        "VARCHAR",
        "TEXT",
    ):
        return pa.string()
    return None


class _Stream(io.RawIOBase):
    """The COPY's chunks as a file Arrow reads from."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(bytes(chunk))
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def copy_table(
    connection: Connection, statement: Select[Any], types: list[tuple[str, pa.DataType]]
) -> pa.Table | None:
    """The rows of `statement` as an Arrow table through COPY; None when there are none (the caller's
    usual path gives an empty window its usual shape) or Arrow cannot parse them."""
    compiled = statement.compile(dialect=connection.dialect)
    raw = connection.connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    names = [name for name, _ in types]
    convert = pa_csv.ConvertOptions(
        column_types=dict(types),
        null_values=[""],  # NULL is an unquoted empty field; an empty string is quoted ("")
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        true_values=["t"],
        false_values=["f"],
    )
    try:
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY ({compiled.string}) TO STDOUT (FORMAT csv)", compiled.params) as copy,
        ):
            chunks = iter(copy)
            first = next(chunks, None)
            if first is None:
                return None
            stream = io.BufferedReader(_Stream(_prepend(bytes(first), chunks)), BLOCK_BYTES)
            try:
                return pa_csv.read_csv(
                    stream,
                    read_options=pa_csv.ReadOptions(column_names=names, block_size=BLOCK_BYTES),
                    # A row of one column holding NULL is an empty line: a row, not a line to skip.
                    parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                    convert_options=convert,
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                for _ in chunks:  # read the COPY to its end: the connection goes back to the pool clean
                    pass
                return None
    except psycopg.Error as exc:
        raise CopyFailed(str(exc).strip()) from None


def _prepend(first: bytes, rest: Iterator[Any]) -> Iterator[bytes]:
    yield first
    for chunk in rest:
        yield bytes(chunk)
