"""Per-segment results of windows: written with the run, their metrics renewed as late labels
arrive, read by pages, the API, /metrics and the rules. Keyword-only sessions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from monitor.drift import DatasetDrift
from monitor.metrics import MetricValue
from monitor.rules import TestFact, WindowFacts, judged_columns
from monitor.store.segment_tables import SegmentResultRow
from monitor.store.tables import MonitorRow, RunRow
from monitor.store.types import finite


@dataclass(frozen=True)
class SegmentRecord:
    segment: str
    row_count: int
    health: dict[str, Any]
    drift: DatasetDrift | None = None
    output_drift: DatasetDrift | None = None
    metrics: Sequence[MetricValue] = ()
    labelled_count: int = 0
    quality: dict[str, Any] = field(default_factory=dict)
    reference: str = "shared"
    note: str | None = None
    labels_as_of: datetime | None = None


def metrics_json(metrics: Sequence[MetricValue]) -> dict[str, Any]:
    return {
        m.metric: {
            "value": finite(m.value),
            "ci_low": finite(m.ci_low),
            "ci_high": finite(m.ci_high),
            "bound": finite(m.bound),
            "sample_count": m.sample_count,
            "status": m.status,
        }
        for m in metrics
    }


def _drift_json(record: SegmentRecord) -> list[dict[str, Any]]:
    return [
        {
            "column": r.column,
            "kind": str(r.kind),
            "test": r.test,
            "statistic": finite(r.statistic),
            "p_value": finite(r.p_value),
            "threshold": r.threshold,
            "drifted": r.drifted,
            "status": str(r.status),
            "role": role,
        }
        for role, drift in (("feature", record.drift), ("output", record.output_drift))
        if drift is not None
        for r in drift.results
    ]


def save_segments(session: Session, *, run_id: int, records: Sequence[SegmentRecord]) -> None:
    """The run's segment results, replacing any earlier computation of the window."""
    session.execute(delete(SegmentResultRow).where(SegmentResultRow.run_id == run_id))
    session.add_all(
        SegmentResultRow(
            run_id=run_id,
            segment=r.segment,
            row_count=r.row_count,
            labelled_count=r.labelled_count,
            drift_share=None if r.drift is None else finite(r.drift.drift_share),
            dataset_drifted=None if r.drift is None else r.drift.dataset_drifted,
            drifted_columns=[] if r.drift is None else list(r.drift.drifted_columns),
            reference=r.reference,
            drift=_drift_json(r),
            metrics=metrics_json(r.metrics),
            health=r.health,
            quality=r.quality,
            labels_as_of=r.labels_as_of,
            note=r.note,
        )
        for r in records
    )


def renew_metrics(
    session: Session,
    *,
    run_id: int,
    metrics: Mapping[str, Sequence[MetricValue]],
    labelled: Mapping[str, int],
    as_of: datetime,
) -> None:
    """Each segment's latest metrics, as of a later label checkpoint."""
    for segment, values in metrics.items():
        session.execute(
            update(SegmentResultRow)
            .where(SegmentResultRow.run_id == run_id, SegmentResultRow.segment == segment)
            .values(metrics=metrics_json(values), labelled_count=labelled.get(segment, 0), labels_as_of=as_of)
        )


def segments_of_run(*, session: Session, run_id: int) -> list[SegmentResultRow]:
    """The whole window's health ("") first, then segments by rows, largest first."""
    rows = session.scalars(select(SegmentResultRow).where(SegmentResultRow.run_id == run_id)).all()
    return sorted(rows, key=lambda r: (r.segment != "", -r.row_count, r.segment))


@dataclass(frozen=True)
class SegmentPoint:
    window_start: datetime
    window_end: datetime
    row: SegmentResultRow


def segment_series(
    *, session: Session, monitor: str, since: datetime | None = None, limit: int = 2000
) -> list[SegmentPoint]:
    """Every segment's results of a monitor's succeeded windows, oldest first (the latest `limit`)."""
    query = (
        select(RunRow.window_start, RunRow.window_end, SegmentResultRow)
        .join(RunRow, RunRow.id == SegmentResultRow.run_id)
        .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
        .where(MonitorRow.name == monitor, RunRow.status == "succeeded")
    )
    if since is not None:
        query = query.where(RunRow.window_end > since)
    found = session.execute(query.order_by(RunRow.window_end.desc()).limit(limit)).all()
    return [SegmentPoint(start, end, row) for start, end, row in reversed(found)]


def segment_facts(rows: Sequence[SegmentResultRow], window_start: datetime | None) -> dict[str, WindowFacts]:
    """What per-segment rules see of each stored segment (the whole window's "" is not a segment)."""
    out: dict[str, WindowFacts] = {}
    for row in rows:
        if row.segment == "":
            continue
        tests: dict[str, dict[str, TestFact]] = {}
        for d in row.drift:
            if d.get("role") == "feature":
                tests.setdefault(d["column"], {})[d["test"]] = TestFact(
                    d["statistic"],
                    d["p_value"],
                    d["threshold"],
                    d["drifted"],
                    d["status"],
                    d["p_value"] is not None,
                )
        out[row.segment] = WindowFacts(
            drift_share=row.drift_share if judged_columns(tests) else None,
            drifted_columns=tuple(row.drifted_columns),
            judged_columns=judged_columns(tests),
            metrics={name: m.get("value") for name, m in row.metrics.items()},
            row_count=row.row_count,
            column_tests=tests,
            quality=dict(row.quality.get("signals", {})),
            window_start=window_start,
            health={k: v for k, v in row.health.items() if isinstance(v, int | float) or v is None},
        )
    return out


def latest_health(*, session: Session, monitor: str) -> list[tuple[str, dict[str, Any]]]:
    """(segment, health) of the monitor's newest succeeded window that has them ("" = whole window)."""
    newest = (
        select(RunRow.id)
        .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
        .join(SegmentResultRow, SegmentResultRow.run_id == RunRow.id)
        .where(MonitorRow.name == monitor, RunRow.status == "succeeded")
        .order_by(RunRow.window_end.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(SegmentResultRow.segment, SegmentResultRow.health).where(SegmentResultRow.run_id == newest)
    ).all()
    return sorted((segment, dict(health)) for segment, health in rows)
