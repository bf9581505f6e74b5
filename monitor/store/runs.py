"""Runs: the (monitor, window) claim, a run's stored results, and the queries of runs. Keyword-only
sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from monitor.drift import DatasetDrift
from monitor.metrics import MetricValue
from monitor.quality import QualityReport
from monitor.store.metrics import record_metrics
from monitor.store.tables import DriftResultRow, MonitorRow, QualityResultRow, RunRow
from monitor.store.types import finite


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
                window_start=start,
                window_end=end,
                status="running",
                trigger=trigger,
                attempts=1,
                claimed_at=now,
                started_at=now,
            )
            session.add(row)
            session.flush()
            return Claim(row.id, "claimed")
    except IntegrityError:
        pass
    with factory() as session, session.begin():
        return _take_over(
            session,
            monitor_id=monitor_id,
            start=start,
            end=end,
            trigger=trigger,
            now=now,
            recompute=recompute,
            stale_after=stale_after,
        )


def _take_over(
    session: Session,
    *,
    monitor_id: int,
    start: datetime,
    end: datetime,
    trigger: str,
    now: datetime,
    recompute: bool,
    stale_after: timedelta,
) -> Claim:
    """The window's row exists: take it over when it failed, went stale, or is to be recomputed."""
    existing = session.scalars(
        select(RunRow).where(
            RunRow.monitor_id == monitor_id,
            RunRow.window_start == start,
            RunRow.window_end == end,
        )
    ).one()
    if existing.status == "succeeded" and not recompute:
        return Claim(None, "already_succeeded")
    if existing.status == "running" and existing.claimed_at > now - stale_after:
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
                claimed_at=now,
                started_at=now,
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
            .values(status="failed", error=error[:4000], finished_at=now)
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
    return {r for r in rows}


def recent_row_counts(*, session: Session, monitor_id: int, before: datetime, limit: int) -> list[int]:
    """Row counts of the latest `limit` succeeded windows that ended by `before`, oldest first."""
    rows = session.scalars(
        select(RunRow.row_count)
        .where(
            RunRow.monitor_id == monitor_id,
            RunRow.status == "succeeded",
            RunRow.window_end <= before,
            RunRow.row_count.is_not(None),
        )
        .order_by(RunRow.window_end.desc())
        .limit(limit)
    ).all()
    return [int(r) for r in reversed(rows) if r is not None]


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
            RunRow.window_end > ended_after,
            (RunRow.metrics_checked_at.is_(None)) | (RunRow.metrics_checked_at <= checked_before),
        )
        .order_by(RunRow.window_start)
    ).all()
    return [(run_id, start, end) for run_id, start, end in rows]


def save_results(
    session: Session,
    run_id: int,
    *,
    drift: DatasetDrift,
    drift_share: float | None,
    output_drift: DatasetDrift | None,
    metrics: Sequence[MetricValue],
    quality: QualityReport | None,
    row_count: int,
    labelled_count: int,
    finished: datetime,
    now: datetime,
) -> None:
    """A window's results, replacing any earlier computation of it; the run becomes `succeeded`.
    `drift_share` is None when no column could be judged.
    Metrics are versioned instead: a recomputation adds a version when anything changed."""
    session.execute(delete(DriftResultRow).where(DriftResultRow.run_id == run_id))
    session.execute(delete(QualityResultRow).where(QualityResultRow.run_id == run_id))
    session.add_all(_drift_rows(run_id, drift, output_drift))
    coverage = labelled_count / row_count if row_count else None
    record_metrics(session, run_id, metrics, coverage=coverage, now=now)
    if quality is not None:
        session.add_all(_quality_rows(run_id, quality))
    session.execute(
        update(RunRow)
        .where(RunRow.id == run_id)
        .values(
            status="succeeded",
            finished_at=finished,
            error=None,
            row_count=row_count,
            reference_rows=drift.reference_rows,
            labelled_count=labelled_count,
            drift_share=drift_share,
            dataset_drifted=drift.dataset_drifted,
            drifted_columns=list(drift.drifted_columns),
            metrics_checked_at=now,
        )
    )


def _drift_rows(run_id: int, drift: DatasetDrift, output_drift: DatasetDrift | None) -> list[DriftResultRow]:
    outputs = output_drift.results if output_drift else ()
    return [
        DriftResultRow(
            run_id=run_id,
            column_name=r.column,
            kind=str(r.kind),
            test=r.test,
            statistic=finite(r.statistic),
            p_value=finite(r.p_value),
            threshold=r.threshold,
            drifted=r.drifted,
            status=str(r.status),
            details=r.details,
            role=role,
        )
        for role, results in (("feature", drift.results), ("output", outputs))
        for r in results
    ]


def _quality_rows(run_id: int, quality: QualityReport) -> list[QualityResultRow]:
    return [
        QualityResultRow(
            run_id=run_id,
            check=c.check,
            column_name=c.column,
            value=finite(c.value),
            threshold=c.threshold,
            finding=c.finding,
            message=c.message,
            details=c.details,
        )
        for c in quality.checks
    ]


def mark_labels_checked(session: Session, run_id: int, *, labelled_count: int, now: datetime) -> None:
    """A run's metrics were recomputed for late labels now, on `labelled_count` labelled rows."""
    session.execute(
        update(RunRow)
        .where(RunRow.id == run_id)
        .values(labelled_count=labelled_count, metrics_checked_at=now)
    )
