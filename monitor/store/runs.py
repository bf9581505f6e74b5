"""Runs: a run's stored results and the queries of runs (claims and retries: store.claims).
Keyword-only sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from monitor.drift import DatasetDrift
from monitor.metrics import MetricValue
from monitor.quality import QualityReport
from monitor.store.claims import ClaimLost, run_duration
from monitor.store.metrics import record_metrics
from monitor.store.tables import DriftResultRow, MonitorRow, QualityResultRow, RunRow
from monitor.store.types import finite


def get_run(*, session: Session, run_id: int) -> tuple[RunRow, str] | None:
    row = session.execute(
        select(RunRow, MonitorRow.name)
        .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
        .where(RunRow.id == run_id)
        .options(
            selectinload(RunRow.drift_results),
            selectinload(RunRow.metric_values),
            selectinload(RunRow.quality_results),
            selectinload(RunRow.segment_results),
            selectinload(RunRow.estimated_metrics),
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
    labels_as_of: datetime | None = None,
) -> None:
    """A window's results, replacing any earlier computation of it; the run becomes `succeeded`.
    `drift_share` is None when no column could be judged.
    Metrics are versioned instead: a recomputation adds a version when anything changed.
    With a token, only while the run's claim is ours: ClaimLost otherwise, before anything is written."""
    ours = [RunRow.id == run_id]
    if token is not None:
        ours += [RunRow.claim_token == token, RunRow.status == "running"]
    started = session.execute(select(RunRow.started_at).where(*ours).with_for_update()).first()
    if started is None:
        raise ClaimLost(f"run {run_id}: its claim ran out and another process took the window over")
    session.execute(delete(DriftResultRow).where(DriftResultRow.run_id == run_id))
    session.execute(delete(QualityResultRow).where(QualityResultRow.run_id == run_id))
    session.add_all(_drift_rows(run_id, drift, output_drift))
    coverage = labelled_count / row_count if row_count else None
    record_metrics(session, run_id, metrics, coverage=coverage, now=now, as_of=labels_as_of)
    if quality is not None:
        session.add_all(_quality_rows(run_id, quality))
    session.execute(
        update(RunRow)
        .where(RunRow.id == run_id)
        .values(
            status="succeeded",
            finished_at=finished,
            duration_seconds=run_duration(started[0], finished),
            pruned_at=None,
            error=None,
            row_count=row_count,
            reference_rows=drift.reference_rows,
            labelled_count=labelled_count,
            drift_share=drift_share,
            dataset_drifted=drift.dataset_drifted,
            drifted_columns=list(drift.drifted_columns),
            metrics_checked_at=now,
            facts=facts,
            dataset_drift=dataset_drift_json(drift),
            claim_token=None,
            lease_until=None,
            next_retry_at=None,
        )
    )


def dataset_drift_json(drift: DatasetDrift) -> dict[str, Any] | None:
    """The run's dataset-level drift as stored (non-finite numbers as null), None when not computed."""
    if not drift.dataset_tests and drift.weighted is None:
        return None
    data = drift.to_dict()
    return {"tests": _finite_json(data["dataset_tests"]), "weighted": _finite_json(data["weighted"])}


def _finite_json(value: Any) -> Any:
    """JSON on PostgreSQL has no NaN or infinity: such numbers become null."""
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_json(v) for v in value]
    return value


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
