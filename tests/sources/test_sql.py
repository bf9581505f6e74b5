"""The sql source against real tables in SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.sources import SourceError
from monitor.sources.sql import SqlSource

Source = Callable[..., SqlSource]

DAY0 = datetime(2026, 11, 20, tzinfo=UTC)
# An awkward table name: upper case, a space and a quote must all survive quoting.
TABLE = 'Prediction Log "v2"'


def log_frame(rows: int = 96) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "Event Time": pd.date_range(DAY0, periods=rows, freq="h"),  # naive UTC in the table
            "prediction_id": [f"p{i}" for i in range(rows)],
            "x": rng.normal(size=rows),
            "colour": rng.choice(["red", "blue"], rows),
            "score": rng.random(rows),
        }
    )


@pytest.fixture
def sql_source() -> Iterator[Callable[..., SqlSource]]:
    """SqlSource factory; every source's connection pool is closed after the test."""
    made: list[SqlSource] = []

    def make(*args: Any, **kwargs: Any) -> SqlSource:
        made.append(SqlSource(*args, **kwargs))
        return made[-1]

    yield make
    for source in made:
        source.close()


@pytest.fixture
def database(db_url: str) -> Iterator[tuple[str, pd.DataFrame]]:
    frame = log_frame()
    engine = sa.create_engine(db_url)
    naive = frame.assign(**{"Event Time": frame["Event Time"].dt.tz_localize(None)})
    naive.to_sql(TABLE, engine, index=False)
    engine.dispose()
    yield db_url, frame


def test_a_table_window_is_exactly_its_rows(database: tuple[str, pd.DataFrame], sql_source: Source) -> None:
    url, log = database
    source = sql_source(url, table=TABLE, chunk_size=7)
    start, end = DAY0 + timedelta(hours=5), DAY0 + timedelta(days=1, hours=5)
    window = source.read(start, end, time_column="Event Time")
    expected = log[(log["Event Time"] >= start) & (log["Event Time"] < end)].reset_index(drop=True)
    assert len(window) == 24
    pd.testing.assert_frame_equal(
        window.sort_values("Event Time").reset_index(drop=True), expected, check_dtype=False
    )
    assert str(window["Event Time"].dt.tz) == "UTC"


def test_a_row_exactly_at_the_end_belongs_to_the_next_window(
    database: tuple[str, pd.DataFrame], sql_source: Source
) -> None:
    url, _ = database
    source = sql_source(url, table=TABLE)
    boundary = pd.Timestamp(DAY0 + timedelta(days=1))
    first = source.read(DAY0, DAY0 + timedelta(days=1), time_column="Event Time")
    second = source.read(DAY0 + timedelta(days=1), DAY0 + timedelta(days=2), time_column="Event Time")
    assert boundary not in set(first["Event Time"]) and boundary in set(second["Event Time"])
    assert len(first) == len(second) == 24


def test_chunked_reads_equal_one_read(database: tuple[str, pd.DataFrame], sql_source: Source) -> None:
    url, _ = database
    whole = sql_source(url, table=TABLE, chunk_size=1_000_000).read()
    chunked = sql_source(url, table=TABLE, chunk_size=5).read()
    pd.testing.assert_frame_equal(whole, chunked)
    assert len(whole) == 96


def test_a_query_with_bound_start_and_end(database: tuple[str, pd.DataFrame], sql_source: Source) -> None:
    url, log = database
    query = (
        f'SELECT prediction_id, "Event Time", score FROM "{TABLE.replace(chr(34), chr(34) * 2)}" '
        'WHERE "Event Time" >= :start AND "Event Time" < :end AND score >= 0'
    )
    source = sql_source(url, query=query)
    start, end = DAY0 + timedelta(days=2), DAY0 + timedelta(days=3)
    window = source.read(start, end, time_column="Event Time")
    expected = log[(log["Event Time"] >= start) & (log["Event Time"] < end)]
    assert sorted(window.prediction_id) == sorted(expected.prediction_id)
    assert list(window.columns) == ["prediction_id", "Event Time", "score"]


def test_a_table_read_for_some_columns_selects_only_those(
    database: tuple[str, pd.DataFrame], sql_source: Source
) -> None:
    """What a Dask worker reads of a table (on PostgreSQL through COPY): the columns a run needs,
    filtered on the time column it does not select; names it lacks are left out, not an error."""
    url, log = database
    source = sql_source(url, table=TABLE, columns=["score", "prediction_id", "absent"])
    start, end = DAY0 + timedelta(days=1), DAY0 + timedelta(days=2)
    window = source.read(start, end, time_column="Event Time")
    expected = log[(log["Event Time"] >= start) & (log["Event Time"] < end)]
    assert list(window.columns) == ["score", "prediction_id"]
    assert sorted(window.prediction_id) == sorted(expected.prediction_id)
    whole = sql_source(url, table=TABLE)  # the service's own source: every column's name
    assert whole.column_names(start, end, time_column="Event Time") == list(log.columns)


def test_a_query_that_fails_in_the_database_is_a_source_error(
    database: tuple[str, pd.DataFrame], sql_source: Source
) -> None:
    """Not pandas' DatabaseError (an OSError, which a Dask client takes for a cluster failure)."""
    url, _ = database
    source = sql_source(url, query="SELECT * FROM no_such_table WHERE t >= :start AND t < :end")
    said = r"cannot read the query at .*(no such table|does not exist)"
    with pytest.raises(SourceError, match=said) as info:
        source.read(DAY0, DAY0 + timedelta(days=1), time_column="t")
    assert not isinstance(info.value, OSError)


@pytest.mark.postgres
def test_timestamptz_columns_compare_in_utc(postgres_url: str, sql_source: Source) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE aware (ts timestamptz, prediction_id text, x double precision)"))
        conn.execute(
            sa.text("INSERT INTO aware VALUES (:ts, :id, 1.0)"),
            [{"ts": DAY0 + timedelta(hours=i), "id": f"p{i}"} for i in range(48)],
        )
    engine.dispose()
    db_url = postgres_url
    source = sql_source(db_url, table="aware")
    window = source.read(DAY0 + timedelta(hours=23), DAY0 + timedelta(days=1, hours=1), time_column="ts")
    assert sorted(window.prediction_id) == ["p23", "p24"]
    query = sql_source(db_url, query="SELECT * FROM aware WHERE ts >= :start AND ts < :end")
    assert len(query.read(DAY0, DAY0 + timedelta(hours=3), time_column="ts")) == 3


def test_names_are_quoted_never_executed(database: tuple[str, pd.DataFrame], sql_source: Source) -> None:
    url, _ = database
    hostile = sql_source(url, table=f'{TABLE}"; DROP TABLE "{TABLE}"; --')
    with pytest.raises(SourceError, match="does not exist"):
        hostile.read()
    assert len(sql_source(url, table=TABLE).read()) == 96  # still there
    with pytest.raises(SourceError, match="time column 'when' is not in"):
        sql_source(url, table=TABLE).read(DAY0, DAY0 + timedelta(days=1), time_column="when")
    with pytest.raises(SourceError, match="not a timestamp"):
        sql_source(url, table=TABLE).read(DAY0, DAY0 + timedelta(days=1), time_column="colour")


def test_a_query_must_bind_the_window(database: tuple[str, pd.DataFrame], sql_source: Source) -> None:
    url, _ = database
    everything = sql_source(url, query=f'SELECT * FROM "{TABLE.replace(chr(34), chr(34) * 2)}"')
    with pytest.raises(SourceError, match=":start and :end"):
        everything.read(DAY0, DAY0 + timedelta(days=1), time_column="Event Time")
    assert len(everything.read()) == 96  # as a reference, without a window, it is fine


def test_an_unreachable_database_is_a_clear_error_without_the_password(sql_source: Source) -> None:
    source = sql_source("postgresql+psycopg://user:s3cret@127.0.0.1:1/nowhere", table="t")
    with pytest.raises(SourceError) as info:
        source.read()
    assert "cannot read table 't' at postgresql+psycopg://user:***@127.0.0.1:1/nowhere" in str(info.value)
    assert "s3cret" not in str(info.value)


def test_a_sample_is_limited_in_the_database(database: tuple[str, pd.DataFrame], sql_source: Source) -> None:
    url, log = database
    start, end = DAY0 + timedelta(days=1), DAY0 + timedelta(days=2)
    table = sql_source(url, table=TABLE, chunk_size=2)
    assert len(table.sample(5, start, end, time_column="Event Time")) == 5
    query = sql_source(
        url,
        query=f'SELECT * FROM "{TABLE.replace(chr(34), chr(34) * 2)}" '
        'WHERE "Event Time" >= :start AND "Event Time" < :end',
    )
    sample = query.sample(3, start, end, time_column="Event Time")
    assert len(sample) == 3 and sample["Event Time"].min() >= start
    assert list(sample.columns) == list(log.columns)
