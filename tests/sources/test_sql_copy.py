"""The sql source on PostgreSQL reads a table's window with COPY parsed by Arrow: the same frame as
through SQLAlchemy, for every column type it takes on, and the SQLAlchemy path for any other."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.sources.sql import SqlSource
from monitor.store.external import ExternalTable

pytestmark = pytest.mark.postgres

DAY0 = datetime(2026, 11, 20, tzinfo=UTC)
TABLE = 'Copy Log "v2"'  # quoting must survive the COPY too
AWKWARD = ["", "a,b", 'say "hi"', "two\nlines", "tab\there", "\\N", "NULL", "naïve ☃", " spaced "]


@pytest.fixture
def table_url(postgres_url: str) -> Iterator[str]:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f'CREATE TABLE "{TABLE.replace(chr(34), chr(34) * 2)}" (ts timestamp, aware timestamptz, '
                "id bigint, small smallint, n integer, x double precision, r real, s text, v varchar(20), "
                "flag boolean)"
            )
        )
        rows = []
        for i in range(300):
            rows.append(
                {
                    "ts": (DAY0 + timedelta(minutes=7 * i, microseconds=i)).replace(tzinfo=None),
                    "aware": None if i % 11 == 0 else DAY0 + timedelta(hours=i, microseconds=5 * i),
                    "id": 2**62 + i,
                    "small": i % 100,
                    "n": None if i % 5 == 0 else i,
                    "x": [float("nan"), float("inf"), float("-inf"), None, 0.1 + i * 1e-17, -0.0, 1e308][
                        i % 7
                    ]
                    if i < 50
                    else (i * 0.1) ** 0.5,
                    "r": 0.1 * i,
                    "s": None if i % 13 == 0 else AWKWARD[i % len(AWKWARD)],
                    "v": f"v{i % 4}",
                    "flag": None if i % 3 == 0 else i % 2 == 0,
                }
            )
        name = sa.table(TABLE, *(sa.column(c) for c in rows[0]))
        conn.execute(sa.insert(name), rows)
    engine.dispose()
    yield postgres_url


def _both_ways(
    url: str, monkeypatch: pytest.MonkeyPatch, *window: datetime | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    start, end = window if window else (None, None)
    copied = SqlSource(url, table=TABLE)
    assert copied.database.arrow_window(start, end, time_column="ts") is not None  # COPY is taken
    by_copy = copied.read(start, end, time_column="ts")
    copied.close()
    monkeypatch.setattr(ExternalTable, "arrow_window", lambda self, *a, **k: None)
    plain = SqlSource(url, table=TABLE, chunk_size=64)  # several chunks: nulls in some only
    by_sqlalchemy = plain.read(start, end, time_column="ts")
    plain.close()
    monkeypatch.undo()
    return by_copy, by_sqlalchemy


def test_a_copied_table_is_the_frame_sqlalchemy_reads(
    table_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_copy, by_sqlalchemy = _both_ways(table_url, monkeypatch)
    assert len(by_copy) == 300
    pd.testing.assert_frame_equal(by_copy, by_sqlalchemy, check_exact=True)
    assert set(by_copy["s"].dropna()) == set(AWKWARD)


def test_a_copied_window_is_the_frame_sqlalchemy_reads(
    table_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    start, end = DAY0 + timedelta(hours=3), DAY0 + timedelta(hours=20)
    by_copy, by_sqlalchemy = _both_ways(table_url, monkeypatch, start, end)
    assert 0 < len(by_copy) < 300
    assert by_copy["ts"].min() >= start and by_copy["ts"].max() < end
    pd.testing.assert_frame_equal(by_copy, by_sqlalchemy, check_exact=True)


def test_other_column_types_and_empty_windows_read_as_before(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE priced (ts timestamp, price numeric(10, 2))"))
        conn.execute(sa.text("INSERT INTO priced VALUES ('2026-11-20 01:00', 1.25)"))
    engine.dispose()
    source = SqlSource(postgres_url, table="priced")
    try:
        assert source.database.arrow_window() is None  # numeric: not through COPY
        assert source.read()["price"].tolist() == [pytest.approx(1.25)]
        empty = source.database.arrow_window  # an empty window: not through COPY either
        assert empty(DAY0 + timedelta(days=9), DAY0 + timedelta(days=10), time_column="ts") is None
    finally:
        source.close()


@pytest.mark.parametrize("column", ["n", "s", "aware"])
def test_one_column_with_nulls_keeps_every_row(table_url: str, column: str) -> None:
    """A NULL in a one-column COPY is an empty line, which is still a row (a Dask worker reads a
    segment column alone)."""
    source = SqlSource(table_url, table=TABLE, columns=[column])
    assert source.database.arrow_window(None, None, time_column="ts") is not None  # COPY is taken
    frame = source.read(None, None, time_column="ts")
    source.close()
    engine = sa.create_engine(table_url)
    with engine.connect() as conn:
        quoted = TABLE.replace(chr(34), chr(34) * 2)
        rows, nulls = conn.execute(
            sa.text(f'SELECT count(*), count(*) - count({column}) FROM "{quoted}"')
        ).one()
    engine.dispose()
    assert list(frame.columns) == [column]
    assert (
        (len(frame), int(frame[column].isna().sum()))
        == (rows, nulls)
        == (300, {"n": 60, "s": 24, "aware": 28}[column])
    )
