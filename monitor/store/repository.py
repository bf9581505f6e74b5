"""Repository functions: every read and write of the service goes through here, keyword-only session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from monitor.store.tables import AlertRow, MetricValueRow, MonitorRow, OutboxRow, RunRow


def to_db(moment: datetime) -> datetime:
    """Aware datetime -> naive UTC, the stored convention."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where an aware one is required")
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def sync_monitor(*, session: Session, name: str, model: str, config_hash: str, now: datetime) -> int:
    row = session.scalar(select(MonitorRow).where(MonitorRow.name == name))
    if row is None:
        row = MonitorRow(
            name=name, model=model, config_hash=config_hash, created_at=to_db(now), updated_at=to_db(now)
        )
        session.add(row)
        session.flush()
    elif row.config_hash != config_hash or row.model != model:
        row.model, row.config_hash, row.updated_at = model, config_hash, to_db(now)
    return row.id


def monitor_id(*, session: Session, name: str) -> int | None:
    return session.scalar(select(MonitorRow.id).where(MonitorRow.name == name))


@dataclass(frozen=True)
class Claim:
    run_id: int | None  # None: not ours to run
    reason: str  # claimed, retry, recompute, already_succeeded, running_elsewhere


def claim_run(
    factory: sessionmaker[Session],
    *,
    monitor_id: int,
    start: datetime,
    end: datetime,
    trigger: str,
    now: datetime,
    recompute: bool = False,
    stale_after: timedelta = timedelta(hours=1),
) -> Claim:
    """Take the (monitor, window) row. The unique constraint makes a concurrent second claim fail."""
    try:
        with factory() as session, session.begin():
            row = RunRow(
                monitor_id=monitor_id,
                window_start=to_db(start),
                window_end=to_db(end),
                status="running",
                trigger=trigger,
                attempts=1,
                claimed_at=to_db(now),
                started_at=to_db(now),
            )
            session.add(row)
            session.flush()
            return Claim(row.id, "claimed")
    except IntegrityError:
        pass
    with factory() as session, session.begin():
        existing = session.scalars(
            select(RunRow).where(
                RunRow.monitor_id == monitor_id,
                RunRow.window_start == to_db(start),
                RunRow.window_end == to_db(end),
            )
        ).one()
        if existing.status == "succeeded" and not recompute:
            return Claim(None, "already_succeeded")
        if existing.status == "running" and from_db(existing.claimed_at) > now - stale_after:
            return Claim(None, "running_elsewhere")
        reason = "recompute" if existing.status == "succeeded" else "retry"
        # Compare-and-set on the row we read, so two instances taking over a failed run cannot both win.
        taken = cast(
            CursorResult[Any],
            session.execute(
                update(RunRow)
                .where(
                    RunRow.id == existing.id,
                    RunRow.status == existing.status,
                    RunRow.claimed_at == existing.claimed_at,
                )
                .values(
                    status="running",
                    trigger=trigger,
                    attempts=RunRow.attempts + 1,
                    claimed_at=to_db(now),
                    started_at=to_db(now),
                    finished_at=None,
                    error=None,
                )
            ),
        ).rowcount
        return Claim(existing.id, reason) if taken == 1 else Claim(None, "running_elsewhere")


def mark_run_failed(factory: sessionmaker[Session], *, run_id: int, error: str, now: datetime) -> None:
    with factory() as session, session.begin():
        session.execute(
            update(RunRow)
            .where(RunRow.id == run_id)
            .values(status="failed", error=error[:4000], finished_at=to_db(now))
        )


def get_run(*, session: Session, run_id: int) -> tuple[RunRow, str] | None:
    row = session.execute(
        select(RunRow, MonitorRow.name)
        .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
        .where(RunRow.id == run_id)
        .options(
            selectinload(RunRow.drift_results),
            selectinload(RunRow.metric_values),
            selectinload(RunRow.quality_results),
        )
    ).first()
    return None if row is None else (row[0], row[1])


def list_runs(
    *, session: Session, monitor: str, limit: int = 100, offset: int = 0
) -> tuple[list[RunRow], int]:
    """Runs of a monitor ordered by window, oldest first, and the total count."""
    base = (
        select(RunRow).join(MonitorRow, MonitorRow.id == RunRow.monitor_id).where(MonitorRow.name == monitor)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.order_by(RunRow.window_start, RunRow.window_end)
        .limit(limit)
        .offset(offset)
        .options(selectinload(RunRow.metric_values), selectinload(RunRow.quality_results))
    ).all()
    return list(rows), total


def latest_run(*, session: Session, monitor: str) -> RunRow | None:
    return session.scalars(
        select(RunRow)
        .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
        .where(MonitorRow.name == monitor)
        .order_by(RunRow.window_end.desc())
        .limit(1)
    ).first()


def computed_window_starts(*, session: Session, monitor_id: int) -> set[datetime]:
    rows = session.scalars(
        select(RunRow.window_start).where(RunRow.monitor_id == monitor_id, RunRow.status == "succeeded")
    )
    return {from_db(r) for r in rows}


def alerts(
    *, session: Session, monitor: str | None = None, active_only: bool = False
) -> list[tuple[AlertRow, str]]:
    query = select(AlertRow, MonitorRow.name).join(MonitorRow, MonitorRow.id == AlertRow.monitor_id)
    if monitor is not None:
        query = query.where(MonitorRow.name == monitor)
    if active_only:
        query = query.where(AlertRow.state == "firing")
    query = query.order_by(AlertRow.updated_at.desc())
    return [(a, name) for a, name in session.execute(query).all()]


def outbox_rows(*, session: Session, status: str | None = None) -> list[OutboxRow]:
    query = select(OutboxRow).order_by(OutboxRow.id)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    return list(session.scalars(query))


def recent_row_counts(*, session: Session, monitor_id: int, before: datetime, limit: int) -> list[int]:
    """Row counts of the latest `limit` succeeded windows that ended by `before`, oldest first."""
    rows = session.scalars(
        select(RunRow.row_count)
        .where(
            RunRow.monitor_id == monitor_id,
            RunRow.status == "succeeded",
            RunRow.window_end <= to_db(before),
            RunRow.row_count.is_not(None),
        )
        .order_by(RunRow.window_end.desc())
        .limit(limit)
    ).all()
    return [int(r) for r in reversed(rows) if r is not None]


def latest_metric_values(*, session: Session, run_id: int) -> dict[str, MetricValueRow]:
    """The latest version of each metric of a run."""
    latest: dict[str, MetricValueRow] = {}
    for row in session.scalars(
        select(MetricValueRow).where(MetricValueRow.run_id == run_id).order_by(MetricValueRow.version)
    ):
        latest[row.metric] = row
    return latest


def runs_awaiting_labels(
    *, session: Session, monitor: str, ended_after: datetime, checked_before: datetime
) -> list[tuple[int, datetime, datetime]]:
    """(id, start, end) of succeeded windows that ended after `ended_after` (the label horizon) and
    whose metrics were last computed before `checked_before`, oldest first."""
    rows = session.execute(
        select(RunRow.id, RunRow.window_start, RunRow.window_end)
        .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
        .where(
            MonitorRow.name == monitor,
            RunRow.status == "succeeded",
            RunRow.window_end > to_db(ended_after),
            (RunRow.metrics_checked_at.is_(None)) | (RunRow.metrics_checked_at <= to_db(checked_before)),
        )
        .order_by(RunRow.window_start)
    ).all()
    return [(run_id, from_db(start), from_db(end)) for run_id, start, end in rows]
