"""Counts for /metrics and the readiness probe, read from the stored state."""

from __future__ import annotations

from datetime import datetime

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


def last_success(*, session: Session) -> dict[str, datetime]:
    """Per monitor, the end of its newest succeeded window: a stale one means the monitor stopped."""
    rows = session.execute(
        select(MonitorRow.name, func.max(RunRow.window_end))
        .join(RunRow, RunRow.monitor_id == MonitorRow.id)
        .where(RunRow.status == "succeeded")
        .group_by(MonitorRow.name)
    )
    return {name: end for name, end in rows if end is not None}


def runs_by_reason(*, session: Session) -> list[tuple[str, str, int]]:
    """(monitor, claim reason, count): how many runs were retried or taken over from a dead process."""
    rows = session.execute(
        select(MonitorRow.name, RunRow.claim_reason, func.count())
        .join(RunRow, RunRow.monitor_id == MonitorRow.id)
        .where(RunRow.claim_reason.is_not(None))
        .group_by(MonitorRow.name, RunRow.claim_reason)
    )
    return [(name, reason or "", int(count)) for name, reason, count in rows]


def oldest_undelivered(*, session: Session) -> datetime | None:
    """When the oldest notification still pending or being sent was written."""
    return session.scalar(
        select(func.min(OutboxRow.created_at)).where(OutboxRow.status.in_(("pending", "sending")))
    )
