"""Where a monitor's alert rules stand: every window ending by `judged_through` has been judged, in
window order. Runs stored ahead of an earlier window still computing wait here with their facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.store.tables import MonitorRow, RunRow


@dataclass(frozen=True)
class StoredWindow:
    run_id: int
    start: datetime
    end: datetime
    status: str
    attempts: int
    facts: dict[str, Any] | None


def judged_through(*, session: Session, monitor_id: int) -> datetime | None:
    return session.scalar(select(MonitorRow.judged_through).where(MonitorRow.id == monitor_id))


def mark_judged(*, session: Session, monitor_id: int, through: datetime) -> None:
    session.execute(update(MonitorRow).where(MonitorRow.id == monitor_id).values(judged_through=through))


def windows_after(*, session: Session, monitor_id: int, after: datetime) -> list[StoredWindow]:
    """The monitor's runs of windows ending after `after`, in window order."""
    rows = session.execute(
        select(
            RunRow.id, RunRow.window_start, RunRow.window_end, RunRow.status, RunRow.attempts, RunRow.facts
        )
        .where(RunRow.monitor_id == monitor_id, RunRow.window_end > after)
        .order_by(RunRow.window_end, RunRow.window_start)
    )
    return [StoredWindow(r.id, r.window_start, r.window_end, r.status, r.attempts, r.facts) for r in rows]
