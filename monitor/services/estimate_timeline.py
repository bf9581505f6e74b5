"""The monitor page's charts of estimated performance: for each estimated metric, the estimate's band
with the realised value over it, and the estimate's error once labels came."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.config import MonitorConfig
from monitor.pipeline.runtime import Runtime
from monitor.reports.charts import Figure, MetricPoint
from monitor.reports.estimate_charts import EstimatePoint, estimate_chart, estimate_error_chart
from monitor.store import estimates as store


def estimate_figures(
    runtime: Runtime,
    name: str,
    spec: MonitorConfig,
    realised: Sequence[MetricPoint],
    *,
    x_range: tuple[datetime, datetime],
    min_coverage: float,
) -> list[tuple[str, Figure]]:
    if spec.estimation is None:
        return []
    with runtime.sessions() as session:
        found = store.estimates_in_range(session=session, monitor=name, start=x_range[0], end=x_range[1])
    figures: list[tuple[str, Figure]] = []
    for metric in spec.estimation.metrics or ():
        points = [
            EstimatePoint(p.window_start, p.value, p.lower, p.upper) for p in found if p.metric == metric
        ]
        if not points:
            continue
        labelled = [p for p in realised if p.metric == metric]
        chart = estimate_chart(points, labelled, metric=metric, min_coverage=min_coverage, x_range=x_range)
        figures.append((f"estimate-{metric}", chart))
        error = estimate_error_chart(
            points, labelled, metric=metric, min_coverage=min_coverage, x_range=x_range
        )
        if error is not None:
            figures.append((f"estimate-error-{metric}", error))
    return figures
