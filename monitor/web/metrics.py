"""Prometheus /metrics from the stored state, on a registry of the app's own (no global state)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from monitor.runtime import Runtime
from monitor.store.repository import latest_run
from monitor.store.tables import AlertRow, MonitorRow, OutboxRow, RunRow


class StoreCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        runs = GaugeMetricFamily("monitor_runs", "Stored runs by status", labels=["monitor", "status"])
        share = GaugeMetricFamily("monitor_drift_share", "Drift share of the latest run", labels=["monitor"])
        alerts = GaugeMetricFamily("monitor_alerts_firing", "Firing alerts", labels=["monitor"])
        outbox = GaugeMetricFamily("monitor_outbox", "Outbox notifications by status", labels=["status"])
        with self.runtime.sessions() as session:
            for name, status, count in session.execute(
                select(MonitorRow.name, RunRow.status, func.count())
                .join(RunRow, RunRow.monitor_id == MonitorRow.id)
                .group_by(MonitorRow.name, RunRow.status)
            ):
                runs.add_metric([name, status], count)
            for name in self.runtime.config.monitors:
                last = latest_run(session=session, monitor=name)
                if last is not None and last.drift_share is not None:
                    share.add_metric([name], last.drift_share)
                firing = session.scalar(
                    select(func.count())
                    .select_from(AlertRow)
                    .join(MonitorRow, MonitorRow.id == AlertRow.monitor_id)
                    .where(MonitorRow.name == name, AlertRow.state == "firing")
                )
                alerts.add_metric([name], firing or 0)
            for status, count in session.execute(
                select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
            ):
                outbox.add_metric([status], count)
        yield from (runs, share, alerts, outbox)


def metrics_router(runtime: Runtime) -> APIRouter:
    registry = CollectorRegistry()
    registry.register(StoreCollector(runtime))
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
