"""Reads and writes of the alerting aggregate: alerts and their history, notification groups,
silences, retraining cooldowns, the outbox and its delivery attempts. Keyword-only sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.rules import MetricPoint, Silence, parse_matcher
from monitor.store.repository import from_db, to_db
from monitor.store.tables import (
    AlertEventRow,
    AlertGroupRow,
    AlertRow,
    DeliveryAttemptRow,
    MetricValueRow,
    MonitorRow,
    OutboxRow,
    RetrainCooldownRow,
    RunRow,
    SilenceRow,
)


def lock_monitor(*, session: Session, monitor_id: int) -> None:
    """Serialises alert evaluation of one monitor (PostgreSQL row lock; SQLite has one writer)."""
    session.execute(select(MonitorRow.id).where(MonitorRow.id == monitor_id).with_for_update())


def monitor_alerts(*, session: Session, monitor_id: int) -> dict[str, AlertRow]:
    rows = session.scalars(select(AlertRow).where(AlertRow.monitor_id == monitor_id))
    return {row.fingerprint: row for row in rows}


def metric_history(
    *, session: Session, monitor_id: int, metrics: Sequence[str], before: datetime
) -> dict[str, list[MetricPoint]]:
    """Values of earlier succeeded windows (ending by `before`), oldest first."""
    if not metrics:
        return {}
    # Late labels add versions of a window's metrics; only the latest version of each counts.
    latest = (
        select(
            MetricValueRow.run_id, MetricValueRow.metric, func.max(MetricValueRow.version).label("version")
        )
        .group_by(MetricValueRow.run_id, MetricValueRow.metric)
        .subquery()
    )
    rows = session.execute(
        select(MetricValueRow.metric, RunRow.window_start, RunRow.window_end, MetricValueRow.value)
        .join(RunRow, RunRow.id == MetricValueRow.run_id)
        .join(
            latest,
            (latest.c.run_id == MetricValueRow.run_id)
            & (latest.c.metric == MetricValueRow.metric)
            & (latest.c.version == MetricValueRow.version),
        )
        .where(
            RunRow.monitor_id == monitor_id,
            RunRow.status == "succeeded",
            RunRow.window_end <= to_db(before),
            MetricValueRow.metric.in_(list(metrics)),
            MetricValueRow.value.is_not(None),
        )
        .order_by(RunRow.window_end)
    )
    history: dict[str, list[MetricPoint]] = {}
    for metric, start, end, value in rows:
        if value is None:
            continue
        history.setdefault(metric, []).append(MetricPoint(from_db(start), from_db(end), float(value)))
    return history


def add_event(
    *,
    session: Session,
    alert: AlertRow,
    event: str,
    now: datetime,
    run_id: int | None = None,
    window_end: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AlertEventRow(
            alert_id=alert.id,
            run_id=run_id,
            window_end=None if window_end is None else to_db(window_end),
            at=to_db(now),
            event=event,
            state=alert.state,
            value=alert.value,
            threshold=alert.threshold,
            summary=alert.summary,
            details=details or {},
        )
    )


def group_logs(*, session: Session, monitor_id: int) -> dict[tuple[str, str], AlertGroupRow]:
    rows = session.scalars(select(AlertGroupRow).where(AlertGroupRow.monitor_id == monitor_id))
    return {(row.channel, row.group_key): row for row in rows}


def to_silence(row: SilenceRow) -> Silence:
    return Silence(
        id=row.id,
        matchers=tuple(parse_matcher(m) for m in row.matchers),
        starts_at=from_db(row.starts_at),
        ends_at=from_db(row.ends_at),
    )


def active_silences(*, session: Session, now: datetime) -> list[Silence]:
    moment = to_db(now)
    rows = session.scalars(
        select(SilenceRow).where(SilenceRow.starts_at <= moment, SilenceRow.ends_at > moment)
    )
    return [to_silence(row) for row in rows]


def silences(*, session: Session, now: datetime, include_expired: bool = False) -> list[SilenceRow]:
    query = select(SilenceRow).order_by(SilenceRow.ends_at.desc(), SilenceRow.id.desc())
    if not include_expired:
        query = query.where(SilenceRow.ends_at > to_db(now))
    return list(session.scalars(query))


def add_silence(
    *,
    session: Session,
    matchers: Sequence[str],
    author: str,
    comment: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> SilenceRow:
    row = SilenceRow(
        matchers=list(matchers),
        author=author,
        comment=comment,
        created_at=to_db(now),
        starts_at=to_db(starts_at),
        ends_at=to_db(ends_at),
        updated_at=to_db(now),
    )
    session.add(row)
    session.flush()
    return row


def expire_silence(*, session: Session, silence_id: int, now: datetime) -> SilenceRow | None:
    row = session.get(SilenceRow, silence_id)
    if row is None:
        return None
    if from_db(row.ends_at) > now:
        row.ends_at = to_db(max(now, from_db(row.starts_at)))
        row.updated_at = to_db(now)
    return row


def take_retrain_slot(
    *, session: Session, channel: str, model: str, now: datetime, cooldown: timedelta, key: str
) -> bool:
    """True when no retraining of `model` went out through `channel` within `cooldown`; the slot is
    then taken by this transaction. A compare-and-set, so two runs at once cannot both get it."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(RetrainCooldownRow)
        .values(channel=channel, model=model, last_requested_at=None)
        .on_conflict_do_nothing(index_elements=["channel", "model"])
    )
    taken = cast(
        CursorResult[Any],
        session.execute(
            update(RetrainCooldownRow)
            .where(
                RetrainCooldownRow.channel == channel,
                RetrainCooldownRow.model == model,
                (RetrainCooldownRow.last_requested_at.is_(None))
                | (RetrainCooldownRow.last_requested_at <= to_db(now - cooldown)),
            )
            .values(last_requested_at=to_db(now), last_key=key)
        ),
    ).rowcount
    return taken == 1


def last_retrain(*, session: Session, channel: str, model: str) -> datetime | None:
    moment = session.scalar(
        select(RetrainCooldownRow.last_requested_at).where(
            RetrainCooldownRow.channel == channel, RetrainCooldownRow.model == model
        )
    )
    return None if moment is None else from_db(moment)


def alert_with_events(*, session: Session, alert_id: int) -> tuple[AlertRow, str, list[AlertEventRow]] | None:
    found = session.execute(
        select(AlertRow, MonitorRow.name)
        .join(MonitorRow, MonitorRow.id == AlertRow.monitor_id)
        .where(AlertRow.id == alert_id)
    ).first()
    if found is None:
        return None
    events = session.scalars(
        select(AlertEventRow).where(AlertEventRow.alert_id == alert_id).order_by(AlertEventRow.id)
    )
    return found[0], found[1], list(events)


def notifications(
    *, session: Session, status: str | None = None, limit: int = 100
) -> list[tuple[OutboxRow, list[DeliveryAttemptRow]]]:
    """Outbox rows, newest first, each with its attempts in order."""
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    rows = list(session.scalars(query))
    attempts: dict[int, list[DeliveryAttemptRow]] = {row.id: [] for row in rows}
    if rows:
        for attempt in session.scalars(
            select(DeliveryAttemptRow)
            .where(DeliveryAttemptRow.outbox_id.in_(list(attempts)))
            .order_by(DeliveryAttemptRow.id)
        ):
            attempts[attempt.outbox_id].append(attempt)
    return [(row, attempts[row.id]) for row in rows]


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
    row.next_attempt_at = to_db(now)
    row.give_up_at = to_db(now + max_age)
    row.claim_token, row.lease_until = None, None
    return row


def outbox_row(*, session: Session, outbox_id: int) -> OutboxRow | None:
    return session.get(OutboxRow, outbox_id)
