"""Prometheus /metrics from the stored state, on a registry of the app's own (no global state).

Everything is read from the database, not counted in this process: with several web workers and a
separate scheduler process, any one of them reports the whole service."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.pipeline.runtime import Runtime
from monitor.services.health import Gauges, gauges

COLUMN = ["monitor", "column", "test", "role"]


def _gauge(
    name: str, doc: str, labels: list[str], values: list[tuple[list[str], float]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for label_values, value in values:
        family.add_metric(label_values, value)
    return family


def _run_families(found: Gauges) -> Iterator[Metric]:
    yield _gauge(
        "monitor_runs",
        "Stored runs by status",
        ["monitor", "status"],
        [([m, s], c) for m, s, c in found.runs],
    )
    yield _gauge(
        "monitor_runs_by_claim_reason",
        "Runs by why their latest attempt was taken (retry; lease_expired: taken over from a dead process)",
        ["monitor", "reason"],
        [([m, r], c) for m, r, c in found.runs_by_reason],
    )
    yield _gauge(
        "monitor_last_success_window_end_seconds",
        "End of the newest succeeded window (Unix time): alert when it falls behind",
        ["monitor"],
        [([m], t) for m, t in found.last_success.items()],
    )
    yield _gauge(
        "monitor_label_watermark_seconds",
        "How far the label stream was pulled (Unix time): alert when it falls behind (a label source down)",
        ["monitor"],
        [([m], t) for m, t in found.label_watermarks.items()],
    )
    durations = HistogramMetricFamily(
        "monitor_run_duration_seconds", "Duration of each run's latest attempt", labels=["monitor", "status"]
    )
    for h in found.durations:
        buckets = [(repr(bound), count) for bound, count in h.buckets] + [("+Inf", h.count)]
        durations.add_metric([h.monitor, h.status], buckets, h.total_seconds)
    yield durations


def _alert_families(found: Gauges) -> Iterator[Metric]:
    yield _gauge(
        "monitor_alerts_firing", "Firing alerts", ["monitor"], [([m], c) for m, c in found.firing.items()]
    )
    yield _gauge(
        "monitor_outbox",
        "Outbox notifications by status",
        ["status"],
        [([s], c) for s, c in found.outbox.items()],
    )
    yield _gauge(
        "monitor_outbox_oldest_undelivered_seconds",
        "Age of the oldest notification not yet delivered",
        [],
        [([], found.oldest_undelivered_age)],
    )
    yield _gauge(
        "monitor_delivery_attempts",
        "Stored delivery attempts by channel and outcome (delivered, retry, failed, expired, abandoned)",
        ["channel", "outcome"],
        [([ch, o], c) for ch, o, c in found.deliveries],
    )


def _result_families(found: Gauges) -> Iterator[Metric]:
    yield _gauge(
        "monitor_drift_share",
        "Drift share of the latest run",
        ["monitor"],
        [([m], v) for m, v in found.drift_share.items()],
    )
    cols = found.column_drift
    yield _gauge(
        "monitor_column_drift_statistic",
        "Each column's drift statistic in the monitor's newest succeeded window",
        COLUMN,
        [([c.monitor, c.column, c.test, c.role], c.statistic) for c in cols if c.statistic is not None],
    )
    yield _gauge(
        "monitor_column_drift_p_value",
        "Each column's p-value (tests that give one) in the newest succeeded window",
        COLUMN,
        [([c.monitor, c.column, c.test, c.role], c.p_value) for c in cols if c.p_value is not None],
    )
    yield _gauge(
        "monitor_column_drifted",
        "1 when the column drifted in the newest succeeded window, else 0",
        COLUMN,
        [([c.monitor, c.column, c.test, c.role], float(c.drifted)) for c in cols],
    )
    yield _gauge(
        "monitor_metric_value",
        "Each metric in the newest window that has a value (latest version)",
        ["monitor", "metric"],
        [([m.monitor, m.metric], m.value) for m in found.metrics],
    )
    yield _gauge(
        "monitor_metric_label_coverage",
        "Share of that window's rows with labels when the metric was computed",
        ["monitor", "metric"],
        [([m.monitor, m.metric], m.label_coverage) for m in found.metrics if m.label_coverage is not None],
    )
    yield _gauge(
        "monitor_metric_window_end_seconds",
        "End of the window monitor_metric_value is from (Unix time)",
        ["monitor", "metric"],
        [([m.monitor, m.metric], m.window_end) for m in found.metrics],
    )
    yield _gauge(
        "monitor_serving_health",
        'Serving health of the newest window, per segment ("" = whole window): throughput_per_hour, '
        "latency_p50/p95/p99 (ms), error_rate, low_confidence_share",
        ["monitor", "segment", "measure"],
        [([m, s, k], v) for m, s, k, v in found.serving],
    )


class StoreCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        found = gauges(self.runtime)
        yield from _run_families(found)
        yield from _alert_families(found)
        yield from _result_families(found)


def metrics_router(runtime: Runtime) -> APIRouter:
    registry = CollectorRegistry()
    registry.register(StoreCollector(runtime))
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
