"""Column types: the one place where time zones are handled for the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC.

    SQLite has no time zones, and one convention for both stores keeps comparisons exact. A naive
    datetime is refused rather than guessed: it is a bug in the caller."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given where an aware one is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite rows written by hand or by raw SQL
            value = datetime.fromisoformat(value)
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# Pushed rows can run into billions on PostgreSQL; SQLite autoincrements only INTEGER primary keys.
RowId = BigInteger().with_variant(Integer, "sqlite")


def finite(value: float | None) -> float | None:
    """None for NaN and infinities: PostgreSQL accepts them, SQLite and JSON do not, and the result's
    status already says why a value is missing."""
    return None if value is None or value != value or value in (float("inf"), float("-inf")) else value
