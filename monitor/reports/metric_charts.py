"""Plotly figures of performance metrics, score distributions and alert history over windows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from monitor.reports.charts import (
    ACCENT,
    BAD,
    MUTED,
    OK,
    WARN,
    AlertSpan,
    Figure,
    MetricPoint,
    _finite,
    _iso,
    layout,
)
from monitor.reports.safe import chart_text


def _band(x: list[str], y: list[float | None], *, fill: bool) -> dict[str, Any]:
    trace: dict[str, Any] = {"type": "scatter", "x": x, "y": y, "mode": "lines", "line": {"width": 0}}
    trace["hoverinfo"] = "skip"
    if fill:
        trace.update(fill="tonexty", fillcolor="rgba(21,101,192,0.15)")
    return trace


def _values(points: list[MetricPoint], x: list[str], provisional: list[bool]) -> dict[str, Any]:
    notes = [
        ("provisional: " if flag else "")
        + f"{(p.label_coverage or 0):.0%} labelled"
        + (f", v{p.version}" if p.version > 1 else "")
        for p, flag in zip(points, provisional, strict=True)
    ]
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "x": x,
        "y": [_finite(p.value) for p in points],
        "customdata": [
            [p.run_id, note, f"{_finite(p.ci_low) or 0:.3f}", f"{_finite(p.ci_high) or 0:.3f}"]
            for p, note in zip(points, notes, strict=True)
        ],
        "line": {"color": ACCENT},
        "marker": {
            "size": 7,
            "color": ["white" if flag else ACCENT for flag in provisional],
            "line": {"color": [WARN if flag else ACCENT for flag in provisional], "width": 2},
        },
        "hovertemplate": "window %{x}<br>%{y:.4f} (95% CI %{customdata[2]}–%{customdata[3]})"
        "<br>%{customdata[1]}<extra></extra>",
    }


def metric_chart(
    points: list[MetricPoint], *, metric: str, min_coverage: float, x_range: tuple[datetime, datetime]
) -> Figure:
    """The metric with its 95% band above, label coverage below; windows labelled below
    `min_coverage` are provisional: hollow orange markers, and said so on hover."""
    points = sorted(points, key=lambda p: p.start)
    x = [_iso(p.start) for p in points]
    provisional = [p.label_coverage is None or p.label_coverage < min_coverage for p in points]
    coverage = {
        "type": "bar",
        "x": x,
        "y": [p.label_coverage for p in points],
        "yaxis": "y2",
        "marker": {"color": [WARN if flag else OK for flag in provisional]},
        "hovertemplate": "window %{x}<br>%{y:.0%} of rows labelled<extra></extra>",
    }
    figure_layout = layout(
        f"{metric} with its 95% interval; label coverage below", height=300, x_range=x_range
    )
    figure_layout["yaxis"] = {"domain": [0.32, 1], "automargin": True}
    figure_layout["yaxis2"] = {"domain": [0, 0.22], "range": [0, 1], "tickformat": ".0%"}
    line = {"color": WARN, "dash": "dot", "width": 1}
    figure_layout["shapes"] = [
        {
            "type": "line",
            "xref": "paper",
            "yref": "y2",
            "x0": 0,
            "x1": 1,
            "y0": min_coverage,
            "y1": min_coverage,
        }
        | {"line": line}
    ]
    data = [
        _band(x, [_finite(p.ci_high) for p in points], fill=False),
        _band(x, [_finite(p.ci_low) for p in points], fill=True),
        _values(points, x, provisional),
        coverage,
    ]
    return {"data": data, "layout": figure_layout, "title": chart_text(metric)}


def score_distribution_chart(
    column: str, shares: dict[datetime, tuple[list[str], list[float]]], *, x_range: tuple[datetime, datetime]
) -> Figure | None:
    """Share of a model output's values per bin (rows) and window (columns): the prediction or score
    distribution over time. None when no window kept its bins."""
    if not shares:
        return None
    moments = sorted(shares)
    # The bins of the newest window (the reference profile's); a window binned otherwise (before the
    # reference changed) is left as a gap rather than mixing incomparable bins.
    bins = list(shares[moments[-1]][0])
    z: list[list[float | None]] = [[None] * len(moments) for _ in bins]
    for j, moment in enumerate(moments):
        labels, values = shares[moment]
        if labels == bins:
            for i, value in enumerate(values):
                z[i][j] = value
    trace = {
        "type": "heatmap",
        "x": [_iso(m) for m in moments],
        "y": [chart_text(b, limit=30) for b in bins],
        "z": z,
        "colorscale": "Blues",
        "zmin": 0,
        "colorbar": {"title": {"text": "share"}, "tickformat": ".0%"},
        "hovertemplate": "window %{x}<br>%{y}: %{z:.1%} of rows<extra></extra>",
    }
    figure_layout = layout(
        f"Distribution of {column} per window", height=120 + 16 * len(bins), x_range=x_range
    )
    figure_layout["yaxis"] = {"automargin": True, "type": "category"}
    return {"data": [trace], "layout": figure_layout}


def alert_timeline(spans: list[AlertSpan], *, x_range: tuple[datetime, datetime]) -> Figure:
    """Each alert's active periods on the windows' time axis: red firing, orange pending, grey resolved."""
    names: list[str] = []
    for span in spans:
        if span.name not in names:
            names.append(span.name)
    colour = {"firing": BAD, "pending": WARN}
    traces: list[dict[str, Any]] = []
    grouped: dict[str, list[AlertSpan]] = defaultdict(list)
    for span in spans:
        grouped[span.state].append(span)
    for state, group in grouped.items():
        x: list[str | None] = []
        y: list[str | None] = []
        for span in group:
            end = span.end or x_range[1]
            x += [_iso(span.start), _iso(end), None]
            label = chart_text(span.name, limit=60)
            y += [label, label, None]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": y,
                "name": state,
                "line": {"width": 10, "color": colour.get(state, MUTED)},
                "hovertemplate": f"%{{y}}<br>{state} %{{x}}<extra></extra>",
            }
        )
    figure_layout = layout(
        "Alerts (by the windows they are about)", height=max(140, 70 + 26 * len(names)), x_range=x_range
    )
    figure_layout["yaxis"] = {"automargin": True, "type": "category"}
    figure_layout["showlegend"] = True
    return {"data": traces, "layout": figure_layout}


def sparkline(values: list[float | None], *, width: int = 120, height: int = 28) -> str:
    """SVG polyline points of a small line (no script); empty when fewer than two values are known."""
    known = [(i, v) for i, v in enumerate(values) if v is not None and _finite(v) is not None]
    if len(known) < 2:
        return ""
    low = min(v for _, v in known)
    high = max(v for _, v in known)
    span = (high - low) or 1.0
    step = width / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in known)
