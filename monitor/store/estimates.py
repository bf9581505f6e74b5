"""Estimated metrics of windows (monitor.metrics.estimation): written with the run, read by the run
page, the API, the monitor page's charts and the change-detection rules. Keyword-only sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.metrics.estimation import EstimatedMetric
from monitor.store.estimate_tables import EstimatedMetricRow
from monitor.store.metrics import is_latest, latest_versions
from monitor.store.segment_tables import SegmentResultRow
from monitor.store.tables import MetricValueRow, MonitorRow, RunRow
from monitor.store.types import finite


@dataclass(frozen=True)
class EstimateRecord:
    segment: str  # "" for the whole window
    estimate: EstimatedMetric
    note: str | None = None


def save_estimates(session: Session, *, run_id: int, records: Sequence[EstimateRecord]) -> None:
    """The run's estimates, replacing any earlier computation of the window."""
    session.execute(delete(EstimatedMetricRow).where(EstimatedMetricRow.run_id == run_id))
    session.add_all(
        EstimatedMetricRow(
            run_id=run_id,
            segment=r.segment,
            metric=r.estimate.metric,
            method=r.estimate.method,
            value=finite(r.estimate.value),
            lower=finite(r.estimate.lower),
            upper=finite(r.estimate.upper),
            sampling_error=finite(r.estimate.sampling_error),
            row_count=r.estimate.row_count,
            status=r.estimate.status,
            note=r.note,
        )
        for r in records
    )


def estimates_of_run(*, session: Session, run_id: int) -> list[EstimatedMetricRow]:
    """The whole window's ("") first, then each segment's, in the order written."""
    rows = session.scalars(select(EstimatedMetricRow).where(EstimatedMetricRow.run_id == run_id)).all()
    return sorted(rows, key=lambda r: (r.segment != "", r.segment, r.id))


@dataclass(frozen=True)
class SeriesPoint:
    """One window of a metric's series: its value (None: none) and the rows it was computed on."""

    window_start: datetime
    window_end: datetime
    value: float | None
    rows: int | None


def estimated_series(
    *, session: Session, monitor_id: int, metric: str, through: datetime, segment: str = ""
) -> list[SeriesPoint]:
    """The estimates of `metric` of a segment ("": the whole window) of succeeded windows ending by
    `through`, oldest first."""
    rows = session.execute(
        select(RunRow.window_start, RunRow.window_end, EstimatedMetricRow.value, EstimatedMetricRow.row_count)
        .join(EstimatedMetricRow, EstimatedMetricRow.run_id == RunRow.id)
        .where(
            RunRow.monitor_id == monitor_id,
            RunRow.status == "succeeded",
            RunRow.window_end <= through,
            EstimatedMetricRow.segment == segment,
            EstimatedMetricRow.metric == metric,
        )
        .order_by(RunRow.window_end, RunRow.window_start)
    )
    return [SeriesPoint(s, e, v, n) for s, e, v, n in rows]


def realised_series(
    *, session: Session, monitor_id: int, metric: str, through: datetime, min_coverage: float
) -> list[SeriesPoint]:
    """The latest version of `metric` of succeeded windows ending by `through` whose labels cover at
    least `min_coverage` of their rows, oldest first; rows: the labelled rows it counted."""
    latest = latest_versions()
    rows = session.execute(
        select(RunRow.window_start, RunRow.window_end, MetricValueRow.value, MetricValueRow.sample_count)
        .join(MetricValueRow, MetricValueRow.run_id == RunRow.id)
        .join(latest, is_latest(latest))
        .where(
            RunRow.monitor_id == monitor_id,
            RunRow.status == "succeeded",
            RunRow.window_end <= through,
            MetricValueRow.metric == metric,
            MetricValueRow.label_coverage >= min_coverage,
        )
        .order_by(RunRow.window_end, RunRow.window_start)
    )
    return [SeriesPoint(s, e, v, n) for s, e, v, n in rows]


def realised_segment_series(
    *, session: Session, monitor_id: int, segment: str, metric: str, through: datetime, min_coverage: float
) -> list[SeriesPoint]:
    """A segment's latest `metric` of succeeded windows ending by `through` whose labels cover at least
    `min_coverage` of the segment's rows, oldest first; rows: the labelled rows it counted."""
    rows = session.execute(
        select(
            RunRow.window_start,
            RunRow.window_end,
            SegmentResultRow.metrics,
            SegmentResultRow.labelled_count,
            SegmentResultRow.row_count,
        )
        .join(SegmentResultRow, SegmentResultRow.run_id == RunRow.id)
        .where(
            RunRow.monitor_id == monitor_id,
            RunRow.status == "succeeded",
            RunRow.window_end <= through,
            SegmentResultRow.segment == segment,
        )
        .order_by(RunRow.window_end, RunRow.window_start)
    )
    found = []
    for start, end, metrics, labelled, total in rows:
        value = (metrics or {}).get(metric) or {}
        if value.get("value") is not None and total and labelled / total >= min_coverage:
            found.append(SeriesPoint(start, end, float(value["value"]), value.get("sample_count")))
    return found


@dataclass(frozen=True)
class EstimatePoint:
    """A window's estimate of a metric, for charts."""

    run_id: int
    window_start: datetime
    metric: str
    value: float | None
    lower: float | None
    upper: float | None
    status: str


def estimates_in_range(
    *, session: Session, monitor: str, start: datetime, end: datetime, segment: str = ""
) -> list[EstimatePoint]:
    """The estimates of windows starting in [start, end), oldest first."""
    rows = session.execute(
        select(
            RunRow.id,
            RunRow.window_start,
            EstimatedMetricRow.metric,
            EstimatedMetricRow.value,
            EstimatedMetricRow.lower,
            EstimatedMetricRow.upper,
            EstimatedMetricRow.status,
        )
        .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
        .join(EstimatedMetricRow, EstimatedMetricRow.run_id == RunRow.id)
        .where(
            MonitorRow.name == monitor,
            RunRow.window_start >= start,
            RunRow.window_start < end,
            EstimatedMetricRow.segment == segment,
        )
        .order_by(RunRow.window_start, RunRow.id, EstimatedMetricRow.metric)
    )
    return [EstimatePoint(*r) for r in rows]
