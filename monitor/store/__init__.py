"""Storage: the schema (tables.py, migrated by Alembic), the engine, and one module of named queries
and writes per aggregate (monitors, runs, metrics, alerts, outbox, cursors, profiles, ingest).

Every SQL statement of the service lives in this package. Other layers hold sessions and rows, and
name the types they need from here, so no module outside it imports SQLAlchemy."""

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError as Conflict
from sqlalchemy.exc import OperationalError as DatabaseUnavailable
from sqlalchemy.exc import SQLAlchemyError as DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.engine import (
    make_engine,
    make_session_factory,
    process_sessions,
    transaction,
    upgrade_database,
)

SessionFactory = sessionmaker[Session]

__all__ = [
    "Conflict",
    "DatabaseError",
    "DatabaseUnavailable",
    "Engine",
    "Session",
    "SessionFactory",
    "make_engine",
    "make_session_factory",
    "process_sessions",
    "transaction",
    "upgrade_database",
]
