"""Runs: the (monitor, window) claim, a run's stored results, and the queries of runs. Keyword-only
sessions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    # claimed, retry, recompute, lease_expired; or why not: already_succeeded, running_elsewhere,
    # retry_later (a failed run's backoff has not passed), gave_up (its attempts ran out)
    reason: str
    # What the holder proves itself with when it renews, stores or fails the run.
    token: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class Leasing:
    """How long a claim lasts, and how often the scheduler may attempt a window."""

    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 5
    # Rows claimed before leases existed: taken over this long after their claim.
    stale_after: timedelta = timedelta(hours=1)


def claim_run(
    factory: sessionmaker[Session],
    *,
    monitor_id: int,
    start: datetime,
    end: datetime,
    trigger: str,
    now: datetime,
    recompute: bool = False,
    leasing: Leasing = Leasing(),
) -> Claim:
    """Take the (monitor, window) row for `leasing.lease` from `now`. The unique constraint makes a
    concurrent second claim fail; a taken-over row is a compare-and-set, so only one wins it."""
    token = uuid.uuid4().hex
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
                claim_token=token,
                lease_until=now + leasing.lease,
                claim_reason="claimed",
            )
            session.add(row)
            session.flush()
            return Claim(row.id, "claimed", token)
    except IntegrityError:
        pass
    with factory() as session, session.begin():
        existing = session.scalars(
            select(RunRow).where(
                RunRow.monitor_id == monitor_id, RunRow.window_start == start, RunRow.window_end == end
            )
        ).one()
        reason = _takeover_reason(existing, trigger=trigger, now=now, recompute=recompute, leasing=leasing)
        if reason not in ("retry", "recompute", "lease_expired"):
            return Claim(None, reason)
        if _take_over(
            session, existing, trigger=trigger, now=now, lease=leasing.lease, token=token, reason=reason
        ):
            return Claim(existing.id, reason, token)
        return Claim(None, "running_elsewhere")


def _take_over(
    session: Session, run: RunRow, *, trigger: str, now: datetime, lease: timedelta, token: str, reason: str
) -> bool:
    """Compare-and-set on the row as read, so two instances taking over a run cannot both win."""
    taken = cast(
        CursorResult[Any],
        session.execute(
            update(RunRow)
            .where(RunRow.id == run.id, RunRow.status == run.status, RunRow.attempts == run.attempts)
            .values(
                status="running",
                trigger=trigger,
                attempts=RunRow.attempts + 1,
                claimed_at=now,
                started_at=now,
                finished_at=None,
                error=None,
                claim_token=token,
                lease_until=now + lease,
                next_retry_at=None,
                claim_reason=reason,
            )
        ),
    ).rowcount
    return taken == 1


def _takeover_reason(run: RunRow, *, trigger: str, now: datetime, recompute: bool, leasing: Leasing) -> str:
    if run.status == "succeeded":
        return "recompute" if recompute else "already_succeeded"
    if run.status == "running":
        expires = run.lease_until if run.lease_until is not None else run.claimed_at + leasing.stale_after
        return "lease_expired" if expires <= now else "running_elsewhere"
    # Failed: the scheduler waits out the backoff and stops at max_attempts; a person or a backfill
    # asking for the window tries it again now.
    if trigger == "schedule" and run.attempts >= leasing.max_attempts:
        return "gave_up"
    if trigger == "schedule" and run.next_retry_at is not None and run.next_retry_at > now:
        return "retry_later"
    return "retry"


def renew_lease(factory: sessionmaker[Session], *, run_id: int, token: str, until: datetime) -> bool:
    """The heartbeat: False when the claim is no longer ours (it ran out and was taken over)."""
    with factory() as session, session.begin():
        renewed = cast(
            CursorResult[Any],
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.claim_token == token, RunRow.status == "running")
                .values(lease_until=until)
            ),
        ).rowcount
    return renewed == 1


class ClaimLost(Exception):
    """The run's claim ran out and another process took it over: nothing of this attempt is stored."""


def mark_run_failed(
    factory: sessionmaker[Session],
    *,
    run_id: int,
    error: str,
    now: datetime,
    token: str | None = None,
    retry_at: datetime | None = None,
) -> bool:
    """The attempt failed; the scheduler tries again from `retry_at`. With a token, only while the
    claim is still ours: False when it was lost (the run is someone else's now)."""
    condition = [RunRow.id == run_id]
    if token is not None:
        condition += [RunRow.claim_token == token, RunRow.status == "running"]
    with factory() as session, session.begin():
        marked = cast(
            CursorResult[Any],
            session.execute(
                update(RunRow)
                .where(*condition)
                .values(
                    status="failed",
                    error=error[:4000],
                    finished_at=now,
                    claim_token=None,
                    lease_until=None,
                    next_retry_at=retry_at,
                )
            ),
        ).rowcount
    return marked == 1


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
    *, session: Session, monitor: str, limit: int = 100, offset: int = 0, status: str | None = None
) -> tuple[list[RunRow], int]:
    """Runs of a monitor (of one status, if given) ordered by window, oldest first, and the total count."""
    base = (
        select(RunRow).join(MonitorRow, MonitorRow.id == RunRow.monitor_id).where(MonitorRow.name == monitor)
    )
    if status is not None:
        base = base.where(RunRow.status == status)
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
    token: str | None = None,
    drift: DatasetDrift,
    drift_share: float | None,
    facts: dict[str, Any] | None = None,
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
    Metrics are versioned instead: a recomputation adds a version when anything changed.
    With a token, only while the run's claim is ours: ClaimLost otherwise, before anything is written."""
    if token is not None:
        ours = session.scalar(
            select(RunRow.id)
            .where(RunRow.id == run_id, RunRow.claim_token == token, RunRow.status == "running")
            .with_for_update()
        )
        if ours is None:
            raise ClaimLost(f"run {run_id}: its claim ran out and another process took the window over")
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
            facts=facts,
            claim_token=None,
            lease_until=None,
            next_retry_at=None,
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


def attempts(*, session: Session, run_id: int) -> int:
    return int(session.scalar(select(RunRow.attempts).where(RunRow.id == run_id)) or 0)


def windows_due_again(
    *, session: Session, monitor_id: int, now: datetime, leasing: Leasing
) -> list[tuple[datetime, datetime]]:
    """(start, end) of windows to run again, oldest first: failed ones whose backoff has passed and
    attempts remain, and running ones whose claim ran out (the process computing them died)."""
    failed = (
        (RunRow.status == "failed")
        & (RunRow.attempts < leasing.max_attempts)
        & (RunRow.next_retry_at.is_(None) | (RunRow.next_retry_at <= now))
    )
    stuck = (RunRow.status == "running") & (
        (RunRow.lease_until <= now)
        | (RunRow.lease_until.is_(None) & (RunRow.claimed_at <= now - leasing.stale_after))
    )
    rows = session.execute(
        select(RunRow.window_start, RunRow.window_end)
        .where(RunRow.monitor_id == monitor_id, failed | stuck)
        .order_by(RunRow.window_end, RunRow.window_start)
    )
    return [(start, end) for start, end in rows]
