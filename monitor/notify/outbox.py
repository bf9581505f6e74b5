"""The dispatcher: delivers outbox rows after commit, never twice at once, and never loses one.

A row is claimed before it is sent: a conditional UPDATE (status and attempt count unchanged since
read) that only one dispatcher can win, after a `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL so
concurrent dispatchers pass each other by (SQLite ignores it: one writer at a time, and the UPDATE
decides). The claim holds a lease; a dispatcher that dies mid-send leaves the row `sending` until the
lease runs out, and the next dispatcher sends it again with the same Idempotency-Key. No transaction
is open while a channel is called. Failures are retried with exponential backoff and jitter (at
least the Retry-After a receiver asked for); a row that is not delivered by its `give_up_at`, or
that a channel refuses for good, becomes a dead letter. Every attempt is a delivery_attempts row.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.notify.base import Delivery, Notifier
from monitor.notify.messages import from_payload
from monitor.notify.redact import Redactor
from monitor.store.repository import from_db, to_db
from monitor.store.tables import DeliveryAttemptRow, OutboxRow

logger = logging.getLogger(__name__)

BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(minutes=30)
DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_MAX_AGE = timedelta(hours=24)
_GENERIC_REDACT = Redactor()


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential with "equal jitter": half of min(max, base * 2**(attempts-1)) plus a random part of
    the other half, so retries of many rows spread out but never come back at once."""
    ceiling = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, attempts - 1)))
    return ceiling / 2 + (ceiling / 2) * (rng or random).random()


def dispatcher_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class _Claimed:
    id: int
    channel: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int
    attempt_id: int
    give_up_at: datetime


def deliver_pending(
    sessions: sessionmaker[Session],
    notifiers: Mapping[str, Notifier],
    *,
    now: datetime,
    limit: int = 100,
    lease: timedelta = DEFAULT_LEASE,
    max_age: timedelta = DEFAULT_MAX_AGE,
    rng: random.Random | None = None,
    dispatcher: str | None = None,
) -> int:
    """One pass over due rows, one at a time; returns how many were delivered. Safe to run anywhere
    and in several processes at once. `now` is the logical time of the pass; real time elapsed in
    the pass is added to it, so a lease taken late in a long pass is still a full lease."""
    started = time.monotonic()

    def clock() -> datetime:
        return now + timedelta(seconds=time.monotonic() - started)

    name = dispatcher or dispatcher_name()
    delivered, skipped = 0, set[int]()
    for _ in range(limit):
        claimed = _claim_next(sessions, name, clock(), lease, max_age, skipped)
        if claimed is None:
            break
        if isinstance(claimed, int):  # lost the race for this row: another dispatcher has it
            skipped.add(claimed)
            continue
        result = _send(notifiers, claimed)
        try:
            kept = _record(sessions, name, claimed, result, clock(), rng)
        except Exception as exc:  # one row's bad outcome must not block every row behind it
            logger.exception("notification %s: storing the outcome failed", claimed.idempotency_key)
            result = Delivery(
                ok=False,
                retryable=result.retryable,
                status_code=result.status_code,
                error=f"storing the outcome failed ({type(exc).__name__}: {exc}); was: {result.error}",
            )
            try:
                kept = _record(sessions, name, claimed, result, clock(), rng)
            except Exception:  # the database itself: the lease runs out and the row is retried
                logger.exception("notification %s: recording the failure failed", claimed.idempotency_key)
                kept = False
        if kept:
            delivered += 1 if result.ok else 0
    return delivered


def _due(now: datetime) -> Any:
    moment = to_db(now)
    return or_(
        and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= moment),
        and_(OutboxRow.status == "sending", OutboxRow.lease_until <= moment),
    )


def _claim_next(
    sessions: sessionmaker[Session],
    name: str,
    now: datetime,
    lease: timedelta,
    max_age: timedelta,
    skipped: set[int],
) -> _Claimed | int | None:
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
                    status="sending",
                    claim_token=name,
                    lease_until=to_db(now + lease),
                    attempts=attempts + 1,
                )
            ),
        ).rowcount
        if taken != 1:
            return row_id
        row = session.get(OutboxRow, row_id)
        assert row is not None
        if status == "sending":  # the previous dispatcher's lease ran out: it died or hung mid-send
            session.execute(
                update(DeliveryAttemptRow)
                .where(DeliveryAttemptRow.outbox_id == row_id, DeliveryAttemptRow.outcome == "in_flight")
                .values(outcome="abandoned", finished_at=to_db(now), error="the dispatcher's lease ran out")
            )
        give_up_at = from_db(row.give_up_at) if row.give_up_at else from_db(row.created_at) + max_age
        if now >= give_up_at:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id)
                .values(
                    status="dead",
                    attempts=attempts,
                    claim_token=None,
                    lease_until=None,
                    last_error=_expired_reason(row, give_up_at),
                )
            )
            logger.error(
                "notification %s to %s is a dead letter: not delivered in time",
                row.idempotency_key,
                row.channel,
            )
            return row_id
        attempt = DeliveryAttemptRow(
            outbox_id=row_id,
            attempt=attempts + 1,
            dispatcher=name,
            started_at=to_db(now),
            outcome="in_flight",
        )
        session.add(attempt)
        session.flush()
        return _Claimed(
            row_id, row.channel, dict(row.payload), row.idempotency_key, attempts + 1, attempt.id, give_up_at
        )


def _expired_reason(row: OutboxRow, give_up_at: datetime) -> str:
    last = f"; last error: {row.last_error}" if row.last_error else ""
    return f"not delivered by {give_up_at.isoformat()} after {row.attempts} attempt(s){last}"


def _send(notifiers: Mapping[str, Notifier], claimed: _Claimed) -> Delivery:
    notifier = notifiers.get(claimed.channel)
    if notifier is None:
        return Delivery(ok=False, retryable=False, error=f"notifier {claimed.channel!r} is not configured")
    try:
        message = from_payload(claimed.payload)
    except (TypeError, ValueError, KeyError) as exc:
        return Delivery(ok=False, retryable=False, error=f"unreadable payload: {exc}")
    try:
        return notifier.send(message, idempotency_key=claimed.idempotency_key)
    except Exception as exc:  # a channel bug must not stop the other deliveries; it may pass
        error = _GENERIC_REDACT(notifier.redact(f"{type(exc).__name__}: {exc}"))
        logger.error("notifier %s raised: %s", claimed.channel, error)
        return Delivery(ok=False, retryable=True, error=error)


def _record(
    sessions: sessionmaker[Session],
    name: str,
    claimed: _Claimed,
    result: Delivery,
    now: datetime,
    rng: random.Random | None,
) -> bool:
    """Stores the outcome; False when the claim was lost meanwhile (the lease ran out)."""
    error = None if result.error is None else _GENERIC_REDACT(result.error)
    with sessions() as session, session.begin():
        values: dict[str, Any] = {
            "claim_token": None,
            "lease_until": None,
            "last_status_code": result.status_code,
        }
        if result.ok:
            outcome = "delivered"
            values.update(status="delivered", delivered_at=to_db(now), last_error=None)
        elif result.retryable and now < claimed.give_up_at:
            outcome = "retry"
            wait = max(backoff(claimed.attempt, rng), timedelta(seconds=result.retry_after or 0))
            values.update(
                status="pending", last_error=error, next_attempt_at=to_db(min(now + wait, claimed.give_up_at))
            )
        else:
            outcome = "failed" if not result.retryable else "expired"
            values.update(status="dead", last_error=error)
        kept = cast(
            CursorResult[Any],
            session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == claimed.id, OutboxRow.claim_token == name, OutboxRow.status == "sending"
                )
                .values(**values)
            ),
        ).rowcount
        session.execute(
            update(DeliveryAttemptRow)
            .where(DeliveryAttemptRow.id == claimed.attempt_id)
            .values(
                outcome=outcome,
                finished_at=to_db(now),
                status_code=result.status_code,
                error=error,
                retry_after=result.retry_after,
            )
        )
    if kept != 1:
        logger.warning("notification %s: the claim ran out while sending", claimed.idempotency_key)
        return False
    if outcome in ("failed", "expired"):
        logger.error(
            "notification %s to %s is a dead letter: %s", claimed.idempotency_key, claimed.channel, error
        )
    elif outcome == "retry":
        logger.warning(
            "notification %s to %s failed, will retry: %s", claimed.idempotency_key, claimed.channel, error
        )
    return True
