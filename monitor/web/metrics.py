"""Prometheus /metrics from the stored state, on a registry of the app's own (no global state)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from monitor.pipeline.runtime import Runtime
from monitor.services.health import gauges


class StoreCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        runs = GaugeMetricFamily("monitor_runs", "Stored runs by status", labels=["monitor", "status"])
        share = GaugeMetricFamily("monitor_drift_share", "Drift share of the latest run", labels=["monitor"])
        alerts = GaugeMetricFamily("monitor_alerts_firing", "Firing alerts", labels=["monitor"])
        outbox = GaugeMetricFamily("monitor_outbox", "Outbox notifications by status", labels=["status"])
        last = GaugeMetricFamily(
            "monitor_last_success_window_end_seconds",
            "End of the newest succeeded window (Unix time): alert when it falls behind",
            labels=["monitor"],
        )
        reasons = GaugeMetricFamily(
            "monitor_runs_by_claim_reason",
            "Runs by why their latest attempt was taken (retry, lease_expired: a takeover)",
            labels=["monitor", "reason"],
        )
        age = GaugeMetricFamily(
            "monitor_outbox_oldest_undelivered_seconds", "Age of the oldest notification not yet delivered"
        )
        found = gauges(self.runtime)
        for name, moment in found.last_success.items():
            last.add_metric([name], moment)
        for name, reason, count in found.runs_by_reason:
            reasons.add_metric([name, reason], count)
        age.add_metric([], found.oldest_undelivered_age)
        for name, status, count in found.runs:
            runs.add_metric([name, status], count)
        for name, value in found.drift_share.items():
            share.add_metric([name], value)
        for name, count in found.firing.items():
            alerts.add_metric([name], count)
        for status, count in found.outbox.items():
            outbox.add_metric([status], count)
        yield from (runs, share, alerts, outbox, last, reasons, age)


def metrics_router(runtime: Runtime) -> APIRouter:
    registry = CollectorRegistry()
    registry.register(StoreCollector(runtime))
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
