"""Counts for /metrics and the readiness probe, read from the stored state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, case, func, select, text
from sqlalchemy.orm import Session

from monitor.store.tables import (
    AlertRow,
    DeliveryAttemptRow,
    DriftResultRow,
    MetricValueRow,
    MonitorRow,
    OutboxRow,
    RunRow,
)


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


DURATION_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


def run_durations(*, session: Session) -> list[tuple[str, str, list[int], int, float]]:
    """(monitor, status, cumulative counts per DURATION_BUCKETS bound, count, sum of seconds) of the
    finished runs' latest attempts: a Prometheus histogram read from the store, so every instance
    (and the separate scheduler process) is counted whoever serves /metrics."""
    bounds = [func.sum(case((RunRow.duration_seconds <= bound, 1), else_=0)) for bound in DURATION_BUCKETS]
    rows = session.execute(
        select(
            MonitorRow.name,
            RunRow.status,
            *bounds,
            func.count(),
            func.coalesce(func.sum(RunRow.duration_seconds), 0),
        )
        .join(RunRow, RunRow.monitor_id == MonitorRow.id)
        .where(RunRow.duration_seconds.is_not(None))
        .group_by(MonitorRow.name, RunRow.status)
    )
    found = []
    for name, status, *rest in rows:
        *buckets, count, total = rest
        found.append((name, status, [int(b or 0) for b in buckets], int(count), float(total)))
    return found


def delivery_attempts(*, session: Session) -> list[tuple[str, str, int]]:
    """(channel, outcome, count) of the stored delivery attempts."""
    rows = session.execute(
        select(OutboxRow.channel, DeliveryAttemptRow.outcome, func.count())
        .join(OutboxRow, OutboxRow.id == DeliveryAttemptRow.outbox_id)
        .group_by(OutboxRow.channel, DeliveryAttemptRow.outcome)
    )
    return [(channel, outcome, int(count)) for channel, outcome, count in rows]


def latest_column_drift(
    *, session: Session, monitor: str
) -> list[tuple[str, str, str, float | None, float | None, bool]]:
    """(column, test, role, statistic, p-value, drifted) of the monitor's newest succeeded window."""
    newest = (
        select(RunRow.id)
        .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
        .where(MonitorRow.name == monitor, RunRow.status == "succeeded")
        .order_by(RunRow.window_end.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            DriftResultRow.column_name,
            DriftResultRow.test,
            DriftResultRow.role,
            DriftResultRow.statistic,
            DriftResultRow.p_value,
            DriftResultRow.drifted,
        )
        .where(DriftResultRow.run_id == newest)
        .order_by(DriftResultRow.id)
    )
    return [(c, t, r, s, p, bool(d)) for c, t, r, s, p, d in rows]


def latest_metric_value(
    *, session: Session, monitor: str, metric: str
) -> tuple[float, float | None, datetime] | None:
    """(value, label coverage, window end) of the metric's newest version in the newest window that has
    a value (the newest windows often still wait for their labels)."""
    row = session.execute(
        select(MetricValueRow.value, MetricValueRow.label_coverage, RunRow.window_end)
        .join(RunRow, RunRow.id == MetricValueRow.run_id)
        .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
        .where(
            MonitorRow.name == monitor,
            RunRow.status == "succeeded",
            MetricValueRow.metric == metric,
            MetricValueRow.value.is_not(None),
        )
        .order_by(RunRow.window_end.desc(), MetricValueRow.version.desc())
        .limit(1)
    ).first()
    if row is None or row[0] is None:
        return None
    return (float(row[0]), row[1], row[2])
