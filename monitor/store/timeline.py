"""A monitor's stored results over a range of windows, as plain rows for charts: runs, per-column
drift, the newest version of each metric, model outputs' bins, and alert transitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload

from monitor.rules.evaluate import Transition
from monitor.store.tables import AlertEventRow, AlertRow, DriftResultRow, MetricValueRow, MonitorRow, RunRow

# The events that change an alert's state (not notifications or suppressions).
TRANSITIONS = get_args(Transition)


def _in_range(monitor: str, start: datetime, end: datetime) -> Any:
    return and_(MonitorRow.name == monitor, RunRow.window_start >= start, RunRow.window_start < end)


_RUN_OF_MONITOR = RunRow.monitor_id == MonitorRow.id


def window_bounds(*, session: Session, monitor: str) -> tuple[datetime | None, datetime | None, int]:
    """Earliest and latest window start of the monitor's runs, and how many runs it has."""
    row = session.execute(
        (
            select(func.min(RunRow.window_start), func.max(RunRow.window_start), func.count())
            .select_from(MonitorRow)
            .join(RunRow, _RUN_OF_MONITOR)
        ).where(MonitorRow.name == monitor)
    ).one()
    return row[0], row[1], int(row[2])


def runs_in_range(
    *, session: Session, monitor: str, start: datetime, end: datetime
) -> list[tuple[int, datetime, datetime, str, int | None, float | None]]:
    """(id, window start, window end, status, rows, drift share) of windows starting in [start, end)."""
    rows = session.execute(
        (
            select(
                RunRow.id,
                RunRow.window_start,
                RunRow.window_end,
                RunRow.status,
                RunRow.row_count,
                RunRow.drift_share,
            )
            .select_from(MonitorRow)
            .join(RunRow, _RUN_OF_MONITOR)
        )
        .where(_in_range(monitor, start, end))
        .order_by(RunRow.window_start, RunRow.window_end)
    )
    return [(i, s, e, st, n, share) for i, s, e, st, n, share in rows]


def dataset_drift_in_range(
    *, session: Session, monitor: str, start: datetime, end: datetime
) -> list[tuple[int, datetime, dict[str, Any]]]:
    """(id, window start, dataset-level drift) of windows starting in [start, end) that have it."""
    rows = session.execute(
        select(RunRow.id, RunRow.window_start, RunRow.dataset_drift)
        .select_from(MonitorRow)
        .join(RunRow, _RUN_OF_MONITOR)
        .where(_in_range(monitor, start, end))
        .order_by(RunRow.window_start, RunRow.window_end)
    )
    return [(i, s, d) for i, s, d in rows if d]  # JSON null is not SQL NULL: filtered here


def drift_in_range(
    *, session: Session, monitor: str, start: datetime, end: datetime, role: str = "feature"
) -> list[tuple[int, str, str, float | None, float | None, float, bool]]:
    """(run id, column, test, statistic, p-value, threshold, drifted) of every result of `role`."""
    rows = session.execute(
        (
            select(
                DriftResultRow.run_id,
                DriftResultRow.column_name,
                DriftResultRow.test,
                DriftResultRow.statistic,
                DriftResultRow.p_value,
                DriftResultRow.threshold,
                DriftResultRow.drifted,
            )
            .select_from(MonitorRow)
            .join(RunRow, _RUN_OF_MONITOR)
        )
        .join(DriftResultRow, DriftResultRow.run_id == RunRow.id)
        .where(_in_range(monitor, start, end), DriftResultRow.role == role)
    )
    return [(r, c, t, s, p, th, bool(d)) for r, c, t, s, p, th, d in rows]


def output_bins_in_range(
    *, session: Session, monitor: str, start: datetime, end: datetime
) -> list[tuple[datetime, str, dict[str, Any]]]:
    """(window start, column, details) of the model outputs' results: their bins and counts."""
    rows = session.execute(
        (
            select(RunRow.window_start, DriftResultRow.column_name, DriftResultRow.details)
            .select_from(MonitorRow)
            .join(RunRow, _RUN_OF_MONITOR)
        )
        .join(DriftResultRow, DriftResultRow.run_id == RunRow.id)
        .where(_in_range(monitor, start, end), DriftResultRow.role == "output")
        .order_by(RunRow.window_start, DriftResultRow.id)
    )
    return [(s, c, d or {}) for s, c, d in rows]


def metrics_in_range(
    *, session: Session, monitor: str, start: datetime, end: datetime
) -> list[tuple[int, datetime, str, float | None, float | None, float | None, float | None, int]]:
    """(run id, window start, metric, value, CI low, CI high, label coverage, version): each metric's
    newest version per window, oldest window first."""
    rows = session.execute(
        select(
            RunRow.id,
            RunRow.window_start,
            MetricValueRow.metric,
            MetricValueRow.value,
            MetricValueRow.ci_low,
            MetricValueRow.ci_high,
            MetricValueRow.label_coverage,
            MetricValueRow.version,
        )
        .select_from(MonitorRow)
        .join(RunRow, _RUN_OF_MONITOR)
        .join(MetricValueRow, MetricValueRow.run_id == RunRow.id)
        .where(_in_range(monitor, start, end))
        .order_by(RunRow.window_start, RunRow.id, MetricValueRow.metric, MetricValueRow.version)
    )
    newest: dict[
        tuple[int, str],
        tuple[int, datetime, str, float | None, float | None, float | None, float | None, int],
    ] = {}
    for r, s, m, v, lo, hi, cov, ver in rows:
        newest[(r, m)] = (r, s, m, v, lo, hi, cov, ver)  # versions ascend: the last one stays
    return list(newest.values())


def alert_transitions(
    *, session: Session, monitor: str, until: datetime
) -> list[tuple[int, str, dict[str, str], str, str, datetime | None, datetime]]:
    """(alert id, rule, labels, severity, event, window end, at) of every state change of the
    monitor's alerts about windows ending by `until`, in order."""
    rows = session.execute(
        select(
            AlertRow.id,
            AlertRow.rule,
            AlertRow.labels,
            AlertRow.severity,
            AlertEventRow.event,
            AlertEventRow.window_end,
            AlertEventRow.at,
        )
        .join(AlertEventRow, AlertEventRow.alert_id == AlertRow.id)
        .join(MonitorRow, MonitorRow.id == AlertRow.monitor_id)
        .where(
            MonitorRow.name == monitor,
            AlertEventRow.event.in_(TRANSITIONS),
            AlertEventRow.window_end.is_(None) | (AlertEventRow.window_end <= until),
        )
        .order_by(AlertEventRow.id)
    )
    return [(i, r, dict(lb or {}), sev, ev, w, at) for i, r, lb, sev, ev, w, at in rows]


def recent_series(*, session: Session, monitor: str, limit: int) -> list[float | None]:
    """Drift share of the newest `limit` windows, oldest first."""
    rows = session.scalars(
        select(RunRow.drift_share)
        .select_from(MonitorRow)
        .join(RunRow, _RUN_OF_MONITOR)
        .where(MonitorRow.name == monitor)
        .order_by(RunRow.window_start.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def recent_metric(
    *, session: Session, monitor: str, metric: str, limit: int
) -> list[tuple[float | None, float | None]]:
    """(value, label coverage) of the metric's newest version in each of the newest `limit` windows that
    have it, oldest first."""
    runs = (
        select(RunRow.id)
        .select_from(MonitorRow)
        .join(RunRow, _RUN_OF_MONITOR)
        .where(MonitorRow.name == monitor, RunRow.status == "succeeded")
        .order_by(RunRow.window_start.desc())
        .limit(limit)
    )
    run_ids = list(session.scalars(runs))
    rows = session.execute(
        select(RunRow.window_start, MetricValueRow.value, MetricValueRow.label_coverage)
        .join(MetricValueRow, MetricValueRow.run_id == RunRow.id)
        .where(RunRow.id.in_(run_ids), MetricValueRow.metric == metric)
        .order_by(RunRow.window_start, MetricValueRow.version)
    )
    newest: dict[datetime, tuple[float | None, float | None]] = {}
    for start, value, coverage in rows:
        newest[start] = (value, coverage)
    return list(newest.values())


def runs_with_results(*, session: Session, monitor: str, start: datetime, end: datetime) -> list[RunRow]:
    """Runs of windows starting in [start, end), oldest first, with their drift, metric and quality
    rows loaded (four queries whatever the number of runs): a day's windows for its report."""
    return list(
        session.scalars(
            select(RunRow)
            .join(MonitorRow, _RUN_OF_MONITOR)
            .where(_in_range(monitor, start, end))
            .order_by(RunRow.window_start, RunRow.window_end)
            .options(
                selectinload(RunRow.drift_results),
                selectinload(RunRow.metric_values),
                selectinload(RunRow.quality_results),
            )
        )
    )


def alert_events_of_windows(
    *, session: Session, monitor: str, window_ends: list[datetime]
) -> list[tuple[str, dict[str, str], str, str, str, float | None, float | None, str, datetime, datetime]]:
    """(rule, labels, severity, event, state, value, threshold, summary, window end, at) of the state
    changes of the monitor's alerts about windows ending at one of `window_ends`, in order."""
    if not window_ends:
        return []
    rows = session.execute(
        select(
            AlertRow.rule,
            AlertRow.labels,
            AlertRow.severity,
            AlertEventRow.event,
            AlertEventRow.state,
            AlertEventRow.value,
            AlertEventRow.threshold,
            AlertEventRow.summary,
            AlertEventRow.window_end,
            AlertEventRow.at,
        )
        .join(AlertEventRow, AlertEventRow.alert_id == AlertRow.id)
        .join(MonitorRow, MonitorRow.id == AlertRow.monitor_id)
        .where(
            MonitorRow.name == monitor,
            AlertEventRow.event.in_(TRANSITIONS),
            AlertEventRow.window_end.in_(window_ends),
        )
        .order_by(AlertEventRow.id)
    )
    return [
        (r, dict(lb or {}), sev, ev, st, v, th, sm, w, at)
        for r, lb, sev, ev, st, v, th, sm, w, at in rows
        if w is not None
    ]
