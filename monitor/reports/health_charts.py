"""Plotly figures of serving health over windows: one line per segment ("" = the whole window), and
the score distribution's quantiles over time. Pure functions of typed points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.reports.charts import ACCENT, Figure, _finite, _iso, layout
from monitor.reports.safe import chart_text

WHOLE = "all traffic"
MEASURE_TITLES = {
    "latency_p99": "Latency p99 (ms) per segment",
    "error_rate": "Error rate per segment",
    "low_confidence_share": "Share of low-confidence predictions per segment",
    "throughput_per_hour": "Throughput (rows per hour) per segment",
}
QUANTILES = ("0.05", "0.25", "0.5", "0.75", "0.95")


@dataclass(frozen=True)
class HealthPoint:
    window_start: datetime
    segment: str  # "" = the whole window
    health: dict[str, Any]


def health_chart(
    points: list[HealthPoint], measure: str, *, x_range: tuple[datetime, datetime]
) -> Figure | None:
    """One line per segment; None when no point has the measure."""
    by_segment: dict[str, list[HealthPoint]] = {}
    for p in points:
        if p.health.get(measure) is not None:
            by_segment.setdefault(p.segment, []).append(p)
    if not by_segment:
        return None
    traces = []
    for segment, series in sorted(by_segment.items()):
        name = chart_text(segment) if segment else WHOLE
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [_iso(p.window_start) for p in series],
                "y": [_finite(float(p.health[measure])) for p in series],
                "line": {"width": 3 if not segment else 1.5, **({"color": ACCENT} if not segment else {})},
                "hovertemplate": f"{name}<br>window %{{x}}<br>%{{y:.4g}}<extra></extra>",
            }
        )
    figure_layout = layout(MEASURE_TITLES.get(measure, measure), x_range=x_range)
    figure_layout["showlegend"] = True
    if measure in ("error_rate", "low_confidence_share"):
        figure_layout["yaxis"] = {"tickformat": ".1%", "rangemode": "tozero"}
    return {"data": traces, "layout": figure_layout}


def score_quantile_chart(points: list[HealthPoint], *, x_range: tuple[datetime, datetime]) -> Figure | None:
    """The whole window's score quantiles (5%, 25%, median, 75%, 95%) over time."""
    whole = [p for p in points if p.segment == "" and p.health.get("score_quantiles")]
    if not whole:
        return None
    x = [_iso(p.window_start) for p in whole]
    traces = []
    for q in QUANTILES:
        values = [p.health["score_quantiles"].get(q) for p in whole]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"q{float(q):.0%}",
                "x": x,
                "y": [None if v is None else _finite(float(v)) for v in values],
                "line": {
                    "color": ACCENT,
                    "width": 2.5 if q == "0.5" else 1,
                    "dash": "solid" if q == "0.5" else "dot",
                },
                "hovertemplate": f"q{float(q):.0%} %{{y:.3f}}<br>window %{{x}}<extra></extra>",
            }
        )
    figure_layout = layout("Score distribution over time (quantiles 5–95%)", x_range=x_range)
    figure_layout["showlegend"] = True
    return {"data": traces, "layout": figure_layout}
