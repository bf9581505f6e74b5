from __future__ import annotations

import sqlalchemy as sa
from alembic import command
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


WINDOW_IDS = [(1, 1, "a"), (1, 1, "b"), (2, 1, "a"), (2, 1, "zz")]  # run_id, monitor_id, join_id


def _window_ids(url: str) -> list[tuple[int, int, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT run_id, monitor_id, join_id FROM window_ids"))
            return sorted((int(r), int(m), str(j)) for r, m, j in rows)
    finally:
        engine.dispose()


def test_0016_keeps_window_ids_and_gives_them_back_on_downgrade(db_url: str) -> None:
    upgrade_database(db_url, "0015")
    engine = make_engine(db_url)
    at = "2026-11-01 00:00:00"
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO monitors (id, name, model, config_hash, created_at, updated_at) "
                    "VALUES (1, 'm', 'model', 'h', :at, :at)"
                ),
                {"at": at},
            )
            for run in (1, 2):
                conn.execute(
                    sa.text(
                        "INSERT INTO runs (id, monitor_id, window_start, window_end, status, trigger, "
                        "attempts, claimed_at) VALUES (:id, 1, :at, :end, 'succeeded', 'schedule', 1, :at)"
                    ),
                    {"id": run, "at": at, "end": f"2026-11-0{run + 1} 00:00:00"},
                )
            conn.execute(
                sa.text("INSERT INTO window_ids (run_id, monitor_id, join_id) VALUES (:r, :m, :j)"),
                # One id stored twice, as two label passes adopting a window at once could.
                [{"r": r, "m": m, "j": j} for r, m, j in [*WINDOW_IDS, WINDOW_IDS[0]]],
            )
    finally:
        engine.dispose()
    upgrade_database(db_url)
    assert _window_ids(db_url) == WINDOW_IDS
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            key = sa.inspect(conn).get_pk_constraint("window_ids")["constrained_columns"]
            assert sa.inspect(conn).get_foreign_keys("window_ids") == []
        with engine.begin() as conn:
            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0015")
        with engine.connect() as conn:
            assert sa.inspect(conn).get_pk_constraint("window_ids")["constrained_columns"] == ["id"]
            assert len(sa.inspect(conn).get_foreign_keys("window_ids")) == 2
    finally:
        engine.dispose()
    assert key == ["run_id", "join_id"]
    assert _window_ids(db_url) == WINDOW_IDS
