"""Arrow columns written in PostgreSQL's binary COPY format read back as the same values."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest
import sqlalchemy as sa

from monitor.store.copy_binary import binary_copy

pytestmark = pytest.mark.postgres

TEXTS = ["plain", "", 'quote " back \\ tab \t newline \n', "é 😀 \u2028", None, "x" * 5000]
TIMES = [
    datetime(2026, 11, 20, 10, 0),
    datetime(1999, 12, 31, 23, 59, 59, 999999),  # before PostgreSQL's epoch: negative
    None,
    datetime(2000, 1, 1),
    datetime(1, 1, 1),
    datetime(9999, 12, 31, 23, 59, 59),
]


def test_texts_and_timestamps_with_nulls_read_back_as_written(postgres_admin: sa.Engine) -> None:
    pieces = binary_copy(
        [
            pa.array(TEXTS, pa.string()),
            pa.array(TIMES, pa.timestamp("us")),
            pa.array(TEXTS, pa.large_string()),
        ]
    )
    with postgres_admin.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("CREATE TEMPORARY TABLE copied (n serial, a text, t timestamp, j varchar(6000))")
        with cursor.copy("COPY copied (a, t, j) FROM STDIN (FORMAT binary)") as copy:
            for piece in pieces:
                copy.write(piece)
        cursor.execute("SELECT a, t, j FROM copied ORDER BY n")
        assert cursor.fetchall() == list(zip(TEXTS, TIMES, TEXTS, strict=True))


def test_integers_with_nulls_read_back_as_written(postgres_admin: sa.Engine) -> None:
    small = [0, -1, 2**31 - 1, -(2**31), None]
    large = [0, -1, 2**63 - 1, -(2**63), None]
    pieces = binary_copy([pa.array(small, pa.int32()), pa.array(large, pa.int64())])
    with postgres_admin.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("CREATE TEMPORARY TABLE copied_ints (n serial, a integer, b bigint)")
        with cursor.copy("COPY copied_ints (a, b) FROM STDIN (FORMAT binary)") as copy:
            for piece in pieces:
                copy.write(piece)
        cursor.execute("SELECT a, b FROM copied_ints ORDER BY n")
        assert cursor.fetchall() == list(zip(small, large, strict=True))


def test_other_column_types_are_refused() -> None:
    with pytest.raises(TypeError, match="no binary COPY encoding"):
        binary_copy([pa.array([1.5, 2.0])])
    with pytest.raises(TypeError, match="no binary COPY encoding"):
        binary_copy([pa.array([1, 2], pa.int16())])
    with pytest.raises(TypeError, match="naive microseconds"):
        binary_copy([pa.array([datetime(2026, 1, 1)], pa.timestamp("ns"))])
