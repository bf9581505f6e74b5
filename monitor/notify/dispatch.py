"""The dispatcher: delivers outbox rows after commit, never twice at once, and never loses one.

A row is claimed before it is sent (monitor.store.outbox: only one dispatcher can win it). The claim
holds a lease; a dispatcher that dies mid-send leaves the row `sending` until the
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
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from monitor.clock import Clock, advancing
from monitor.notify.base import Delivery, Notifier
from monitor.notify.messages import from_payload
from monitor.notify.redact import Redactor
from monitor.store import SessionFactory, outbox
from monitor.store.outbox import Claimed, Expired

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
    half: timedelta = ceiling / 2
    return half + half * (rng or random).random()


def dispatcher_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def deliver_pending(
    sessions: SessionFactory,
    notifiers: Mapping[str, Notifier],
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    limit: int = 100,
    lease: timedelta = DEFAULT_LEASE,
    max_age: timedelta = DEFAULT_MAX_AGE,
    rng: random.Random | None = None,
    dispatcher: str | None = None,
) -> int:
    """One pass over due rows, one at a time; returns how many were delivered. Safe to run anywhere
    and in several processes at once. Every claim and outcome reads `clock` at that moment (the
    service's: the wall clock, so a step of it mid-pass cannot cut a Retry-After short); given `now`
    instead, the logical time of the pass plus the real time elapsed in it."""
    if clock is None:
        if now is None:
            raise TypeError("deliver_pending needs `now` or `clock`")
        clock = advancing(now)
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
                detail=result.detail,
            )
            try:
                kept = _record(sessions, name, claimed, result, clock(), rng)
            except Exception:  # the database itself: the lease runs out and the row is retried
                logger.exception("notification %s: recording the failure failed", claimed.idempotency_key)
                kept = False
        if kept:
            delivered += 1 if result.ok else 0
    return delivered


def _claim_next(
    sessions: SessionFactory,
    name: str,
    now: datetime,
    lease: timedelta,
    max_age: timedelta,
    skipped: set[int],
) -> Claimed | int | None:
    claimed = outbox.claim_next(
        sessions, dispatcher=name, now=now, lease=lease, max_age=max_age, skipped=skipped
    )
    if isinstance(claimed, Expired):
        logger.error(
            "notification %s to %s is a dead letter: not delivered in time",
            claimed.idempotency_key,
            claimed.channel,
        )
        return claimed.id
    return claimed


def _send(notifiers: Mapping[str, Notifier], claimed: Claimed) -> Delivery:
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
    sessions: SessionFactory,
    name: str,
    claimed: Claimed,
    result: Delivery,
    now: datetime,
    rng: random.Random | None,
) -> bool:
    """Stores the outcome; False when the claim was lost meanwhile (the lease ran out)."""
    error = None if result.error is None else _GENERIC_REDACT(result.error)
    detail = None if result.detail is None else _GENERIC_REDACT(result.detail)
    next_attempt_at = None
    outcome: outbox.Outcome
    if result.ok:
        outcome = "delivered"
    elif result.retryable and now + timedelta(seconds=result.retry_after or 0) < claimed.give_up_at:
        outcome = "retry"
        # Backoff stops at the give-up time, but never earlier than the receiver asked: a Retry-After
        # that ends past the give-up time makes a dead letter now instead of a retry cut short.
        wait = max(backoff(claimed.attempt, rng), timedelta(seconds=result.retry_after or 0))
        next_attempt_at = min(now + wait, claimed.give_up_at)
    else:
        outcome = "failed" if not result.retryable else "expired"
    kept = outbox.record_outcome(
        sessions,
        claimed,
        dispatcher=name,
        outcome=outcome,
        now=now,
        status_code=result.status_code,
        error=error,
        retry_after=result.retry_after,
        next_attempt_at=next_attempt_at,
        detail=detail,
    )
    if not kept:
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
