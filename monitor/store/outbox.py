"""The outbox: notifications written in the transaction of the change that caused them, claimed by a
dispatcher under a lease, and every delivery attempt. The delivery logic is monitor.notify.dispatch.

A row is claimed with a conditional UPDATE (status and attempt count unchanged since read) that only
one dispatcher can win, after a `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL so concurrent
dispatchers pass each other by (SQLite ignores it: one writer at a time, and the UPDATE decides)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from monitor.store.tables import DeliveryAttemptRow, OutboxRow


def enqueue(
    session: Session,
    *,
    channel: str,
    kind: str,
    key: str,
    payload: dict[str, Any],
    alert_id: int | None,
    now: datetime,
    max_age: timedelta,
    ordering_key: str | None = None,
) -> None:
    """A notification due now, given up as a dead letter when not delivered within `max_age`; after
    every earlier row of its `ordering_key` that is not delivered or dead."""
    session.add(
        OutboxRow(
            channel=channel,
            kind=kind,
            alert_id=alert_id,
            idempotency_key=key,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            give_up_at=now + max_age,
            ordering_key=ordering_key,
        )
    )


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int
    attempt_id: int
    give_up_at: datetime


@dataclass(frozen=True)
class Expired:
    """The row was claimed past its give-up time and is now a dead letter."""

    id: int
    idempotency_key: str
    channel: str


def _due(now: datetime) -> Any:
    earlier = aliased(OutboxRow)
    waiting_behind = (
        select(earlier.id)
        .where(
            earlier.ordering_key == OutboxRow.ordering_key,
            earlier.id < OutboxRow.id,
            earlier.status.in_(("pending", "sending")),
        )
        .exists()
    )
    return and_(
        or_(
            and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now),
            and_(OutboxRow.status == "sending", OutboxRow.lease_until <= now),
        ),
        or_(OutboxRow.ordering_key.is_(None), ~waiting_behind),
    )


def claim_next(
    sessions: sessionmaker[Session],
    *,
    dispatcher: str,
    now: datetime,
    lease: timedelta,
    max_age: timedelta,
    skipped: set[int],
) -> Claimed | Expired | int | None:
    """The next due row, claimed for `lease`; its id when another dispatcher won it; None when none is due.
    A row whose previous lease ran out (its dispatcher died mid-send) has that attempt marked abandoned."""
    with sessions() as session, session.begin():
        query = select(OutboxRow.id, OutboxRow.status, OutboxRow.attempts).where(_due(now))
        if skipped:
            query = query.where(OutboxRow.id.not_in(skipped))
        found = session.execute(
            query.order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(1).with_for_update(skip_locked=True)
        ).first()
        if found is None:
            return None
        row_id, status, attempts = found
        taken = cast(
            CursorResult[Any],
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.status == status, OutboxRow.attempts == attempts)
                .values(
                    status="sending", claim_token=dispatcher, lease_until=now + lease, attempts=attempts + 1
                )
            ),
        ).rowcount
        if taken != 1:
            return row_id
        row = session.get(OutboxRow, row_id)
        assert row is not None
        if status == "sending":
            session.execute(
                update(DeliveryAttemptRow)
                .where(DeliveryAttemptRow.outbox_id == row_id, DeliveryAttemptRow.outcome == "in_flight")
                .values(outcome="abandoned", finished_at=now, error="the dispatcher's lease ran out")
            )
        give_up_at = row.give_up_at if row.give_up_at else row.created_at + max_age
        if now >= give_up_at:
            return _expire(session, row, attempts=attempts, give_up_at=give_up_at)
        attempt = DeliveryAttemptRow(
            outbox_id=row_id, attempt=attempts + 1, dispatcher=dispatcher, started_at=now, outcome="in_flight"
        )
        session.add(attempt)
        session.flush()
        return Claimed(
            row_id, row.channel, dict(row.payload), row.idempotency_key, attempts + 1, attempt.id, give_up_at
        )


def _expire(session: Session, row: OutboxRow, *, attempts: int, give_up_at: datetime) -> Expired:
    """A row claimed past its give-up time becomes a dead letter, its attempt count unchanged."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == row.id)
        .values(
            status="dead",
            attempts=attempts,
            claim_token=None,
            lease_until=None,
            last_error=_expired_reason(row, give_up_at),
        )
    )
    return Expired(row.id, row.idempotency_key, row.channel)


def _expired_reason(row: OutboxRow, give_up_at: datetime) -> str:
    last = f"; last error: {row.last_error}" if row.last_error else ""
    return f"not delivered by {give_up_at.isoformat()} after {row.attempts} attempt(s){last}"


Outcome = Literal["delivered", "retry", "failed", "expired"]


def record_outcome(
    sessions: sessionmaker[Session],
    claimed: Claimed,
    *,
    dispatcher: str,
    outcome: Outcome,
    now: datetime,
    status_code: int | None,
    error: str | None,
    retry_after: float | None,
    next_attempt_at: datetime | None = None,
    detail: str | None = None,
) -> bool:
    """Stores an attempt's outcome (and `detail`: what an action did); False when the claim was lost
    meanwhile (the lease ran out)."""
    values: dict[str, Any] = {"claim_token": None, "lease_until": None, "last_status_code": status_code}
    if outcome == "delivered":
        values.update(status="delivered", delivered_at=now, last_error=None)
    elif outcome == "retry":
        values.update(status="pending", last_error=error, next_attempt_at=next_attempt_at)
    else:
        values.update(status="dead", last_error=error)
    with sessions() as session, session.begin():
        kept = cast(
            CursorResult[Any],
            session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == claimed.id,
                    OutboxRow.claim_token == dispatcher,
                    OutboxRow.status == "sending",
                )
                .values(**values)
            ),
        ).rowcount
        session.execute(
            update(DeliveryAttemptRow)
            .where(DeliveryAttemptRow.id == claimed.attempt_id)
            .values(
                outcome=outcome,
                finished_at=now,
                status_code=status_code,
                error=error,
                retry_after=retry_after,
                detail=detail,
            )
        )
    return kept == 1


def notifications(
    *, session: Session, status: str | None = None, limit: int = 100, before: int | None = None
) -> list[tuple[OutboxRow, list[DeliveryAttemptRow]]]:
    """Outbox rows, newest first (below id `before`, if given), each with its attempts in order."""
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    if before is not None:
        query = query.where(OutboxRow.id < before)
    return _with_attempts(session, list(session.scalars(query)))


def _with_attempts(
    session: Session, rows: list[OutboxRow]
) -> list[tuple[OutboxRow, list[DeliveryAttemptRow]]]:
    attempts: dict[int, list[DeliveryAttemptRow]] = {row.id: [] for row in rows}
    if rows:
        for attempt in session.scalars(
            select(DeliveryAttemptRow)
            .where(DeliveryAttemptRow.outbox_id.in_(list(attempts)))
            .order_by(DeliveryAttemptRow.id)
        ):
            attempts[attempt.outbox_id].append(attempt)
    return [(row, attempts[row.id]) for row in rows]


def notifications_by_key(
    *, session: Session, keys: list[str]
) -> dict[str, tuple[OutboxRow, list[DeliveryAttemptRow]]]:
    """The outbox rows of these idempotency keys, each with its attempts in order."""
    if not keys:
        return {}
    rows = list(session.scalars(select(OutboxRow).where(OutboxRow.idempotency_key.in_(keys))))
    return {row.idempotency_key: (row, attempts) for row, attempts in _with_attempts(session, rows)}


def notification_counts(*, session: Session) -> dict[str, int]:
    return {
        status: count
        for status, count in session.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        )
    }


def resend(*, session: Session, outbox_id: int, now: datetime, max_age: timedelta) -> OutboxRow | None:
    """A dead letter goes back to the queue, with its idempotency key, due now, for another max age."""
    row = session.get(OutboxRow, outbox_id)
    if row is None or row.status != "dead":
        return None
    row.status = "pending"
    row.next_attempt_at = now
    row.give_up_at = now + max_age
    row.claim_token, row.lease_until = None, None
    return row


def outbox_row(*, session: Session, outbox_id: int) -> OutboxRow | None:
    return session.get(OutboxRow, outbox_id)
