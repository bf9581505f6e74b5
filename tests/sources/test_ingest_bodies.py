"""Bodies read into columns: Parquet within its limits before any value is decoded, JSON by Arrow only
where Python would read the same."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitor.sources.ingest_bodies import json_table, parquet_table, table_rows
from monitor.sources.ingest_rows import BatchRejected, BatchTooLarge, RowSchema

SCHEMA = RowSchema("id", "t", True, {"x": "number", "city": "string"})


def parquet(table: pa.Table, **options: object) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **options)
    return sink.getvalue()


def read(body: bytes, *, max_rows: int = 100, max_bytes: int = 1 << 20) -> pa.Table:
    return parquet_table(body, SCHEMA, max_rows=max_rows, max_bytes=max_bytes)


def test_a_parquet_body_is_read_with_its_strings_still_encoded() -> None:
    table = pa.table(
        {"id": ["a", "b"], "t": ["2026-11-20T00:00:00Z"] * 2, "x": [1.5, 2.5], "city": ["Oslo"] * 2}
    )
    read_back = read(parquet(table))
    assert read_back.num_rows == 2 and pa.types.is_dictionary(read_back.schema.field("city").type)


def test_unknown_and_nested_columns_are_named_before_anything_is_decoded() -> None:
    table = pa.table({"id": ["a"], "t": ["2026-11-20T00:00:00Z"], "shoe": [44], "x": [[1.0, 2.0]]})
    with pytest.raises(BatchRejected) as caught:
        read(parquet(table))
    assert [(e.row, e.field) for e in caught.value.errors] == [(None, "shoe"), (None, "x")]
    assert (
        caught.value.errors[1].message
        == "a column of list<element: double> (send numbers, strings, booleans or timestamps)"
    )


def test_limits_hold_before_the_values_are_decoded() -> None:
    rows = pa.table({"id": [str(i) for i in range(101)], "t": ["2026-11-20T00:00:00Z"] * 101})
    with pytest.raises(BatchTooLarge, match="101 rows, more than the limit of 100"):
        read(parquet(rows))
    # One long string repeated: a small dictionary-encoded file that decodes to 100 MB.
    bomb = pa.table(
        {"id": [str(i) for i in range(100)], "t": ["2026-11-20T00:00:00Z"] * 100, "city": ["x" * 10**6] * 100}
    )
    body = parquet(bomb, compression="zstd")
    assert len(body) < 100_000
    with pytest.raises(BatchTooLarge, match=r"decodes to 100\d{6} bytes, more than the limit of 10485760"):
        read(body, max_bytes=10 * 2**20)


def test_what_is_not_parquet_is_said_so() -> None:
    with pytest.raises(BatchRejected, match="not a Parquet file"):
        read(b"id,t\na,2026-11-20")


def test_rows_for_the_row_checks_hold_times_as_iso_text() -> None:
    times = pa.array(
        [datetime(2026, 11, 20, 10, 0, tzinfo=UTC), datetime(2026, 11, 20, 10, 0, 0, 500)],
        pa.timestamp("us", tz="UTC"),
    )
    rows = table_rows(read(parquet(pa.table({"id": ["a", "b"], "t": times, "x": [1.0, None]}))))
    assert rows == [
        {"id": "a", "t": "2026-11-20T10:00:00", "x": 1.0},
        {"id": "b", "t": "2026-11-20T10:00:00.000500", "x": None},
    ]


@pytest.mark.parametrize("media", ["text/csv", "application/vnd.apache.parquet"])
def test_only_json_media_are_read_as_json(media: str) -> None:
    assert json_table(b'[{"id": "a", "t": "2026-11-20T00:00:00"}]', media, SCHEMA) is None
    assert json_table(b'[{"id": "a", "t": "2026-11-20T00:00:00"}]', "application/json", SCHEMA) is not None


def test_a_body_that_is_not_utf8_is_left_to_python() -> None:
    assert json_table(b'[{"id": "\xff", "t": "2026-11-20T00:00:00"}]', "application/json", SCHEMA) is None
