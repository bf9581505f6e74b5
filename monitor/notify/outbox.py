"""Delivers outbox rows after commit, with exponential backoff and jitter; gives up into a dead letter."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.notify.base import Delivery, Notification, Notifier
from monitor.store.repository import to_db
from monitor.store.tables import OutboxRow

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(minutes=30)


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Full jitter (AWS architecture blog): uniform in [0, min(max, base * 2**attempts)]."""
    ceiling = min(MAX_DELAY, BASE_DELAY * (2**attempts))
    return ceiling * (rng or random).random()


def deliver_pending(
    sessions: sessionmaker[Session], notifiers: Mapping[str, Notifier], *, now: datetime, limit: int = 100
) -> int:
    """One pass over due rows; returns how many were delivered. Safe to call from several places."""
    with sessions() as session:
        due = list(
            session.scalars(
                select(OutboxRow.id)
                .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= to_db(now))
                .order_by(OutboxRow.id)
                .limit(limit)
            )
        )
    delivered = 0
    for row_id in due:
        with sessions() as session, session.begin():
            row = session.get(OutboxRow, row_id, with_for_update=True)
            if row is None or row.status != "pending":
                continue
            notifier = notifiers.get(row.channel)
            if notifier is None:
                result = Delivery(
                    ok=False, retryable=False, error=f"notifier {row.channel!r} is not configured"
                )
            else:
                try:
                    result = notifier.send(
                        Notification.from_payload(row.payload), idempotency_key=row.idempotency_key
                    )
                except Exception as exc:  # a channel bug must not stop the other deliveries
                    logger.exception("notifier %s raised", row.channel)
                    result = Delivery(ok=False, retryable=True, error=f"{type(exc).__name__}: {exc}")
            row.attempts += 1
            if result.ok:
                row.status, row.delivered_at, row.last_error = "delivered", to_db(now), None
                delivered += 1
            elif result.retryable and row.attempts < MAX_ATTEMPTS:
                row.last_error, row.next_attempt_at = result.error, to_db(now + backoff(row.attempts))
            else:
                row.status, row.last_error = "dead", result.error
                logger.error(
                    "notification %s to %s gave up: %s", row.idempotency_key, row.channel, result.error
                )
    return delivered
