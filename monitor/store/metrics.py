"""Metric values of windows, versioned: late labels add a version when anything changed, never
overwrite one. Every reader takes the latest version of each metric through `latest_versions`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from monitor.metrics import MetricValue
from monitor.store.tables import MetricValueRow
from monitor.store.types import finite


def latest_versions(run_id: int | None = None) -> Subquery:
    """(run_id, metric, version) of the latest version of each metric, of one run or of all."""
    query: Any = select(
        MetricValueRow.run_id, MetricValueRow.metric, func.max(MetricValueRow.version).label("version")
    )
    if run_id is not None:
        query = query.where(MetricValueRow.run_id == run_id)
    latest: Subquery = query.group_by(MetricValueRow.run_id, MetricValueRow.metric).subquery()
    return latest


def is_latest(latest: Subquery) -> Any:
    """The join condition of MetricValueRow with `latest_versions()`."""
    return (
        (latest.c.run_id == MetricValueRow.run_id)
        & (latest.c.metric == MetricValueRow.metric)
        & (latest.c.version == MetricValueRow.version)
    )


def latest_of(rows: Iterable[MetricValueRow]) -> dict[str, MetricValueRow]:
    """The latest version of each metric among loaded rows, in the order the metrics first appear."""
    latest: dict[str, MetricValueRow] = {}
    for row in rows:
        if row.metric not in latest or row.version > latest[row.metric].version:
            latest[row.metric] = row
    return latest


def latest_metric_values(*, session: Session, run_id: int) -> dict[str, MetricValueRow]:
    """The latest version of each metric of a run."""
    return latest_of(session.scalars(select(MetricValueRow).where(MetricValueRow.run_id == run_id)))


def _same(row: MetricValueRow, metric: MetricValue, coverage: float | None) -> bool:
    return (
        row.value == finite(metric.value)
        and row.ci_low == finite(metric.ci_low)
        and row.ci_high == finite(metric.ci_high)
        and row.bound == finite(metric.bound)
        and row.sample_count == metric.sample_count
        and row.status == metric.status
        and row.label_coverage == coverage
    )


def record_metrics(
    session: Session,
    run_id: int,
    metrics: Sequence[MetricValue],
    *,
    coverage: float | None,
    now: datetime,
    as_of: datetime | None = None,
) -> int | None:
    """Stores the metrics as the run's next version, unless they equal its latest version.
    Returns the version written, or None when nothing changed. `as_of`: the label checkpoint the
    metrics count the labels of (monitor.label_time)."""
    latest = latest_metric_values(session=session, run_id=run_id)
    unchanged = set(latest) == {m.metric for m in metrics} and all(
        _same(latest[m.metric], m, coverage) for m in metrics
    )
    if latest and unchanged:
        return None
    version = max((row.version for row in latest.values()), default=0) + 1
    session.add_all(
        MetricValueRow(
            run_id=run_id,
            metric=m.metric,
            version=version,
            value=finite(m.value),
            ci_low=finite(m.ci_low),
            ci_high=finite(m.ci_high),
            bound=finite(m.bound),
            sample_count=m.sample_count,
            label_coverage=coverage,
            status=m.status,
            computed_at=now,
            labels_as_of=as_of,
        )
        for m in metrics
    )
    return version
