"""The audit log: who (a key's name) did what, to what, and when."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitor.pipeline.runtime import Runtime
from monitor.services.access_types import AuditOut
from monitor.store import Session
from monitor.store import access as store


def record(
    session: Session, *, actor: str, action: str, target: str, details: dict[str, Any], at: datetime
) -> None:
    """Writes an entry in the caller's transaction, so a change and its audit entry land together."""
    store.add_audit(session, at=at, actor=actor, action=action, target=target, details=details)


def log_action(runtime: Runtime, *, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
    """An entry in a transaction of its own, for actions whose effect is not in the database
    (a notifier test message) or was written elsewhere."""
    with runtime.sessions() as session, session.begin():
        record(session, actor=actor, action=action, target=target, details=details, at=runtime.clock())


def audit_log(runtime: Runtime, *, limit: int, offset: int) -> tuple[list[AuditOut], int]:
    with runtime.sessions() as session:
        rows, total = store.audit_events(session=session, limit=limit, offset=offset)
        return [AuditOut.from_row(r) for r in rows], total


def allow_once_more(runtime: Runtime, *, actor: str, action: str, target: str, limit: int) -> bool:
    """Whether `action` on `target` happened fewer than `limit` times in the last minute, across every
    instance; if so, it is recorded now (before it is done, so a burst cannot slip past the count)."""
    now = runtime.clock()
    with runtime.sessions() as session, session.begin():
        done = store.count_audit(
            session=session, action=action, target=target, since=now - timedelta(minutes=1)
        )
        if done >= limit:
            return False
        record(session, actor=actor, action=action, target=target, details={}, at=now)
    return True
