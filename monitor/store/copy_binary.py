"""Arrow columns as PostgreSQL's binary COPY format, built a column at a time (no Python per row).

The format (PostgreSQL docs, "COPY ... Binary Format"): a header, then per row a 16-bit field count
and per field a 32-bit length (-1: NULL) and the value's bytes, then a 16-bit -1. Text, varchar and
json values are their UTF-8 bytes; an integer (int4, int8) its big-endian bytes; a timestamp is a
64-bit count of microseconds since 2000-01-01.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"  # signature, flags, extension
TRAILER = b"\xff\xff"
_POSTGRES_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970-01-01
_NULL = pa.scalar(b"\xff\xff\xff\xff", pa.large_binary())
_NOTHING = pa.scalar(b"", pa.large_binary())


def _fixed_width(raw: bytes, width: int, rows: int) -> pa.Array:
    array = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), rows, [None, pa.py_buffer(raw)])
    return array.cast(pa.large_binary())


def _field(column: pa.Array) -> pa.Array:
    """Each value of the column with its length in front, or the NULL marker."""
    rows = len(column)
    if pa.types.is_timestamp(column.type):
        if column.type.unit != "us" or column.type.tz is not None:
            raise TypeError(f"timestamps are written as naive microseconds, not {column.type}")
        micros = column.cast(pa.int64()).fill_null(0).to_numpy() - _POSTGRES_EPOCH_US
        data = _fixed_width(micros.astype(">i8").tobytes(), 8, rows)
        lengths = np.full(rows, 8, ">i4")
    elif pa.types.is_int32(column.type) or pa.types.is_int64(column.type):
        width = column.type.bit_width // 8
        numbers = column.fill_null(0).to_numpy().astype(f">i{width}")
        data = _fixed_width(numbers.tobytes(), width, rows)
        lengths = np.full(rows, width, ">i4")
    elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        data = column.cast(pa.large_binary()).fill_null(b"")
        lengths = pc.binary_length(data).to_numpy().astype(">i4")
    else:
        raise TypeError(f"no binary COPY encoding here for {column.type}")
    field = pc.binary_join_element_wise(_fixed_width(lengths.tobytes(), 4, rows), data, _NOTHING)
    return pc.if_else(column.is_null(), _NULL, field) if column.null_count else field


def binary_copy(columns: list[pa.Array]) -> list[bytes | memoryview]:
    """The rows of equal-length string, int32 / int64 and naive timestamp[us] columns as a binary COPY
    stream, in pieces to write one after the other (the rows' bytes are not copied again)."""
    count = pa.scalar(len(columns).to_bytes(2, "big"), pa.large_binary())
    rows = pc.binary_join_element_wise(count, *[_field(c) for c in columns], _NOTHING)
    offsets = np.frombuffer(rows.buffers()[1], np.int64, len(rows) + 1, rows.offset * 8)
    body = rows.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
    return [HEADER, memoryview(body), TRAILER]
