from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from monitor.store.base import Base
from monitor.store.engine import alembic_config, make_engine, upgrade_database


def test_migrations_have_a_single_head(sqlite_url: str) -> None:
    heads = ScriptDirectory.from_config(alembic_config(sqlite_url)).get_heads()
    assert len(heads) == 1


def test_upgrade_creates_the_schema_the_tables_describe(db_url: str) -> None:
    upgrade_database(db_url)
    upgrade_database(db_url)  # a second upgrade is a no-op, as a second `make run` needs
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
            tables = set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    assert {"monitors", "runs", "drift_results", "metric_values", "alerts", "outbox"} <= tables
