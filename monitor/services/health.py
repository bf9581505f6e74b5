"""What /readyz and /metrics report: whether the database answers, and gauges of the stored state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from monitor.config import HEALTH_MEASURES
from monitor.pipeline.runtime import Runtime
from monitor.store import DatabaseError, Session, stats
from monitor.store import labels as label_store
from monitor.store import runs as run_store
from monitor.store import segments as segment_store
from monitor.store.monitors import monitor_id


def database_error(runtime: Runtime) -> str | None:
    """None when the database answers, else what went wrong (the error's type, no details)."""
    try:
        stats.ping(runtime.engine)
    except DatabaseError as exc:
        return type(exc).__name__
    return None


@dataclass(frozen=True)
class ColumnDrift:
    monitor: str
    column: str
    test: str
    role: str  # feature or output
    statistic: float | None
    p_value: float | None
    drifted: bool


@dataclass(frozen=True)
class LatestMetric:
    monitor: str
    metric: str
    value: float
    label_coverage: float | None
    window_end: float  # Unix seconds


@dataclass(frozen=True)
class DurationHistogram:
    monitor: str
    status: str
    buckets: list[tuple[float, int]]  # (upper bound in seconds, cumulative count)
    count: int
    total_seconds: float


@dataclass(frozen=True)
class Gauges:
    runs: list[tuple[str, str, int]]  # (monitor, status, count)
    drift_share: dict[str, float] = field(default_factory=dict)  # of each monitor's latest run
    firing: dict[str, int] = field(default_factory=dict)  # firing alerts per monitor
    outbox: dict[str, int] = field(default_factory=dict)  # notifications by status
    last_success: dict[str, float] = field(default_factory=dict)  # newest succeeded window end, Unix s
    runs_by_reason: list[tuple[str, str, int]] = field(default_factory=list)  # (monitor, reason, count)
    oldest_undelivered_age: float = 0.0  # seconds the oldest undelivered notification has waited
    durations: list[DurationHistogram] = field(default_factory=list)
    deliveries: list[tuple[str, str, int]] = field(default_factory=list)  # (channel, outcome, attempts)
    column_drift: list[ColumnDrift] = field(default_factory=list)  # of each monitor's newest window
    metrics: list[LatestMetric] = field(default_factory=list)
    # (monitor, segment, measure, value) of each monitor's newest window; segment "" = whole window.
    serving: list[tuple[str, str, str, float]] = field(default_factory=list)
    # How far each labelled monitor's label stream was pulled (Unix s): a source down stops it.
    label_watermarks: dict[str, float] = field(default_factory=dict)


def gauges(runtime: Runtime) -> Gauges:
    with runtime.sessions() as session:
        shares: dict[str, float] = {}
        firing: dict[str, int] = {}
        columns: list[ColumnDrift] = []
        metrics: list[LatestMetric] = []
        serving: list[tuple[str, str, str, float]] = []
        watermarks: dict[str, float] = {}
        for name, monitor in runtime.config.monitors.items():
            mark = _watermark(session, name) if monitor.labels is not None else None
            if mark is not None:
                watermarks[name] = mark.timestamp()
            last = run_store.latest_run(session=session, monitor=name)
            if last is not None and last.drift_share is not None:
                shares[name] = last.drift_share
            firing[name] = stats.firing_alerts(session=session, monitor=name)
            columns += [
                ColumnDrift(name, *row) for row in stats.latest_column_drift(session=session, monitor=name)
            ]
            serving += [
                (name, segment, measure, float(value))
                for segment, health in segment_store.latest_health(session=session, monitor=name)
                for measure, value in health.items()
                if measure in HEALTH_MEASURES and value is not None
            ]
            for metric in monitor.metrics:
                found = stats.latest_metric_value(session=session, monitor=name, metric=metric)
                if found is not None:
                    metrics.append(LatestMetric(name, metric, found[0], found[1], found[2].timestamp()))
        oldest = stats.oldest_undelivered(session=session)
        return Gauges(
            stats.runs_by_status(session=session),
            shares,
            firing,
            stats.outbox_by_status(session=session),
            {name: end.timestamp() for name, end in stats.last_success(session=session).items()},
            stats.runs_by_reason(session=session),
            0.0 if oldest is None else max(0.0, (runtime.clock() - oldest).total_seconds()),
            [
                DurationHistogram(
                    name, status, list(zip(stats.DURATION_BUCKETS, counts, strict=True)), count, total
                )
                for name, status, counts, count, total in stats.run_durations(session=session)
            ],
            stats.delivery_attempts(session=session),
            columns,
            metrics,
            serving,
            watermarks,
        )


def _watermark(session: Session, name: str) -> datetime | None:
    found = monitor_id(session=session, name=name)
    return None if found is None else label_store.watermark(session=session, monitor_id=found)
