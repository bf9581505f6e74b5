"""Is any model in trouble, since when, and why: each monitor's status for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from monitor.config import DEFAULT_MIN_LABEL_COVERAGE, MonitorConfig
from monitor.pipeline.runtime import Runtime
from monitor.reports.metric_charts import sparkline
from monitor.services.types import AlertOut, RunOut
from monitor.store import alerts as alert_store
from monitor.store import runs as run_store
from monitor.store import timeline as timeline_store

SPARK_WINDOWS = 30
# Worst first: the dashboard sorts monitors by it.
STATUSES = ("failing", "stale", "degraded", "drifting", "waiting_for_labels", "healthy", "no_runs")


@dataclass(frozen=True)
class MonitorStatus:
    name: str
    model: str
    description: str
    status: str  # one of STATUSES
    reason: str  # what a person reads beside it
    last_run: RunOut | None
    firing: list[AlertOut] = field(default_factory=list)
    drift_spark: str = ""  # SVG polyline points of the drift share over the newest windows
    metric_name: str | None = None
    metric_spark: str = ""
    metric_value: float | None = None


def _status(
    spec: MonitorConfig,
    last: RunOut | None,
    firing: list[AlertOut],
    *,
    coverage: float | None,
    now: datetime,
) -> tuple[str, str]:
    if last is None:
        return "no_runs", "no window has been computed yet"
    signals = {rule.name: rule.signal for rule in spec.alerts}
    by_signal = {signals.get(a.rule, "") for a in firing}
    if last.status == "failed" or "run_failed" in by_signal:
        return "failing", f"window {last.window_start:%Y-%m-%d %H:%M} failed: {last.error or 'see the run'}"
    overdue = last.window_end + 2 * spec.window.size + spec.schedule.delay
    if spec.schedule.enabled and now > overdue:
        return (
            "stale",
            f"no window after {last.window_end:%Y-%m-%d %H:%M}; one was due by {overdue:%Y-%m-%d %H:%M}",
        )
    performance = {"metric", "estimated_metric", "metric_change"}  # realised or estimated
    if by_signal & performance:
        names = ", ".join(a.rule for a in firing if signals.get(a.rule) in performance)
        return "degraded", f"performance alert firing: {names}"
    if by_signal & {"drift_share", "column_drift"} or last.dataset_drifted:
        columns = ", ".join(last.drifted_columns[:5]) + ("…" if len(last.drifted_columns) > 5 else "")
        return "drifting", f"drifted: {columns}" if columns else "drift alert firing"
    minimum = min((r.min_label_coverage or DEFAULT_MIN_LABEL_COVERAGE for r in spec.alerts), default=None)
    if coverage is not None and coverage < (minimum or DEFAULT_MIN_LABEL_COVERAGE):
        return "waiting_for_labels", f"the newest window has {coverage:.0%} of its labels so far"
    return "healthy", "no drift, no alert"


def monitor_statuses(runtime: Runtime) -> list[MonitorStatus]:
    """Every configured monitor, worst status first."""
    now = runtime.clock()
    found = []
    with runtime.sessions() as session:
        firing_rows = alert_store.list_alerts(session=session, active_only=True)
        for name, spec in runtime.config.monitors.items():
            row = run_store.latest_run(session=session, monitor=name)
            last = None if row is None else RunOut.from_row(row, name)
            firing = [AlertOut.from_row(a, m) for a, m in firing_rows if m == name]
            recent = timeline_store.recent_series(session=session, monitor=name, limit=SPARK_WINDOWS)
            metric = spec.metrics[0] if spec.metrics else None
            values = (
                timeline_store.recent_metric(
                    session=session, monitor=name, metric=metric, limit=SPARK_WINDOWS
                )
                if metric
                else []
            )
            known = [v for v in values if v[0] is not None]
            coverage = (values[-1][1] or 0.0) if values else None
            status, reason = _status(spec, last, firing, coverage=coverage, now=now)
            found.append(
                MonitorStatus(
                    name=name,
                    model=spec.model,
                    description=spec.description,
                    status=status,
                    reason=reason,
                    last_run=last,
                    firing=firing,
                    drift_spark=sparkline([share for share in recent]),
                    metric_name=metric,
                    metric_spark=sparkline([v for v, _ in values]),
                    metric_value=known[-1][0] if known else None,
                )
            )
    return sorted(found, key=lambda s: (STATUSES.index(s.status), s.name))
