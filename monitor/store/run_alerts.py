"""What one run did to alerting: the alert events it caused and the notifications they sent. Judging a
window records its transitions with the run's id, and the notifications, silences and retraining
requests of that window with the window's end (and, for what was sent, the outbox row's key)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from monitor.store.tables import AlertEventRow, AlertRow, DeliveryAttemptRow, OutboxRow, RunRow


def run_alert_events(*, session: Session, run: RunRow) -> list[tuple[AlertEventRow, AlertRow]]:
    """Events with the run's id, and those of its monitor's alerts about its window, oldest first."""
    query = (
        select(AlertEventRow, AlertRow)
        .join(AlertRow, AlertRow.id == AlertEventRow.alert_id)
        .where(
            or_(
                AlertEventRow.run_id == run.id,
                and_(
                    AlertEventRow.run_id.is_(None),
                    AlertRow.monitor_id == run.monitor_id,
                    AlertEventRow.window_end == run.window_end,
                ),
            )
        )
        .order_by(AlertEventRow.id)
    )
    return [(event, alert) for event, alert in session.execute(query).all()]


def notifications_by_key(
    *, session: Session, keys: Collection[str]
) -> list[tuple[OutboxRow, list[DeliveryAttemptRow]]]:
    """Outbox rows with these idempotency keys, oldest first, each with its attempts in order."""
    if not keys:
        return []
    rows = list(
        session.scalars(
            select(OutboxRow).where(OutboxRow.idempotency_key.in_(list(keys))).order_by(OutboxRow.id)
        )
    )
    attempts: dict[int, list[DeliveryAttemptRow]] = {row.id: [] for row in rows}
    if rows:
        for attempt in session.scalars(
            select(DeliveryAttemptRow)
            .where(DeliveryAttemptRow.outbox_id.in_(list(attempts)))
            .order_by(DeliveryAttemptRow.id)
        ):
            attempts[attempt.outbox_id].append(attempt)
    return [(row, attempts[row.id]) for row in rows]
