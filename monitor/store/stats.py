"""Counts for /metrics and the readiness probe, read from the stored state."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from monitor.store.tables import AlertRow, MonitorRow, OutboxRow, RunRow


def ping(engine: Engine) -> None:
    """Raises DatabaseError when the database does not answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def runs_by_status(*, session: Session) -> list[tuple[str, str, int]]:
    """(monitor, status, count) of stored runs."""
    rows = session.execute(
        select(MonitorRow.name, RunRow.status, func.count())
        .join(RunRow, RunRow.monitor_id == MonitorRow.id)
        .group_by(MonitorRow.name, RunRow.status)
    )
    return [(name, status, int(count)) for name, status, count in rows]


def firing_alerts(*, session: Session, monitor: str) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(AlertRow)
        .join(MonitorRow, MonitorRow.id == AlertRow.monitor_id)
        .where(MonitorRow.name == monitor, AlertRow.state == "firing")
    )
    return int(count or 0)


def outbox_by_status(*, session: Session) -> dict[str, int]:
    return {
        status: int(count)
        for status, count in session.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        )
    }
