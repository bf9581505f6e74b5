"""Reads and writes of the alerting aggregate: alerts and their history, notification groups,
silences, the cooldowns of actions (retrain, rollback, promote), the outbox and its delivery attempts.
Keyword-only sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.rules import MetricPoint, Silence, parse_matcher
from monitor.store.metrics import is_latest, latest_versions
from monitor.store.tables import (
    AlertEventRow,
    AlertGroupRow,
    AlertRow,
    MetricValueRow,
    MonitorRow,
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


def add_alert(
    session: Session, *, monitor_id: int, fingerprint: str, rule: str, labels: dict[str, str], now: datetime
) -> AlertRow:
    """A new alert's row; the caller sets its state before the transaction flushes."""
    row = AlertRow(
        monitor_id=monitor_id, fingerprint=fingerprint, rule=rule, labels=dict(labels), started_at=now
    )
    session.add(row)
    return row


def flush(session: Session) -> None:
    """Writes pending changes so that new rows get their ids (the transaction stays open)."""
    session.flush()


def metric_history(
    *, session: Session, monitor_id: int, metrics: Sequence[str], before: datetime
) -> dict[str, list[MetricPoint]]:
    """Values of earlier succeeded windows (ending by `before`), oldest first."""
    if not metrics:
        return {}
    # Late labels add versions of a window's metrics; only the latest version of each counts.
    latest = latest_versions()
    rows = session.execute(
        select(MetricValueRow.metric, RunRow.window_start, RunRow.window_end, MetricValueRow.value)
        .join(RunRow, RunRow.id == MetricValueRow.run_id)
        .join(latest, is_latest(latest))
        .where(
            RunRow.monitor_id == monitor_id,
            RunRow.status == "succeeded",
            RunRow.window_end <= before,
            MetricValueRow.metric.in_(list(metrics)),
            MetricValueRow.value.is_not(None),
        )
        .order_by(RunRow.window_end)
    )
    history: dict[str, list[MetricPoint]] = {}
    for metric, start, end, value in rows:
        if value is None:
            continue
        history.setdefault(metric, []).append(MetricPoint(start, end, float(value)))
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
            window_end=None if window_end is None else window_end,
            at=now,
            event=event,
            state=alert.state,
            value=alert.value,
            threshold=alert.threshold,
            summary=alert.summary,
            details=details or {},
        )
    )


def add_group_log(
    session: Session, *, monitor_id: int, channel: str, key: str, labels: dict[str, str]
) -> AlertGroupRow:
    """The notification log of a group its channel is told about for the first time."""
    row = AlertGroupRow(
        monitor_id=monitor_id, channel=channel, group_key=key, labels=labels, firing=[], notifications=0
    )
    session.add(row)
    return row


def group_logs(*, session: Session, monitor_id: int) -> dict[tuple[str, str], AlertGroupRow]:
    rows = session.scalars(select(AlertGroupRow).where(AlertGroupRow.monitor_id == monitor_id))
    return {(row.channel, row.group_key): row for row in rows}


def to_silence(row: SilenceRow) -> Silence:
    return Silence(
        id=row.id,
        matchers=tuple(parse_matcher(m) for m in row.matchers),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
    )


def active_silences(*, session: Session, now: datetime) -> list[Silence]:
    moment = now
    rows = session.scalars(
        select(SilenceRow).where(SilenceRow.starts_at <= moment, SilenceRow.ends_at > moment)
    )
    return [to_silence(row) for row in rows]


def silences(*, session: Session, now: datetime, include_expired: bool = False) -> list[SilenceRow]:
    query = select(SilenceRow).order_by(SilenceRow.ends_at.desc(), SilenceRow.id.desc())
    if not include_expired:
        query = query.where(SilenceRow.ends_at > now)
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
    created_by: str | None = None,
) -> SilenceRow:
    row = SilenceRow(
        matchers=list(matchers),
        author=author,
        comment=comment,
        created_at=now,
        starts_at=starts_at,
        ends_at=ends_at,
        updated_at=now,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def expire_silence(*, session: Session, silence_id: int, now: datetime) -> SilenceRow | None:
    row = session.get(SilenceRow, silence_id)
    if row is None:
        return None
    if row.ends_at > now:
        row.ends_at = max(now, row.starts_at)
        row.updated_at = now
    return row


def take_action_slot(
    *, session: Session, channel: str, model: str, now: datetime, cooldown: timedelta, key: str
) -> bool:
    """True when no action for `model` went out through `channel` within `cooldown`; the slot is then
    taken by this transaction. A compare-and-set, so two runs at once cannot both get it. A channel has
    one type (retrain, rollback or promote), so the slot is per action, channel and model."""
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
                | (RetrainCooldownRow.last_requested_at <= (now - cooldown)),
            )
            .values(last_requested_at=now, last_key=key)
        ),
    ).rowcount
    return taken == 1


def last_action(*, session: Session, channel: str, model: str) -> datetime | None:
    moment = session.scalar(
        select(RetrainCooldownRow.last_requested_at).where(
            RetrainCooldownRow.channel == channel, RetrainCooldownRow.model == model
        )
    )
    return None if moment is None else moment


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


def list_alerts(
    *, session: Session, monitor: str | None = None, active_only: bool = False
) -> list[tuple[AlertRow, str]]:
    query = select(AlertRow, MonitorRow.name).join(MonitorRow, MonitorRow.id == AlertRow.monitor_id)
    if monitor is not None:
        query = query.where(MonitorRow.name == monitor)
    if active_only:
        query = query.where(AlertRow.state == "firing")
    query = query.order_by(AlertRow.updated_at.desc())
    return [(a, name) for a, name in session.execute(query).all()]
