"""Plotly figures of performance estimated without labels: the estimate's band with the realised
value drawn over it as labels arrive, and the estimate's own error once they have."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.reports.charts import ACCENT, BAD, MUTED, OK, WARN, Figure, MetricPoint, _finite, _iso, layout
from monitor.reports.safe import chart_text


@dataclass(frozen=True)
class EstimatePoint:
    start: datetime
    value: float | None
    lower: float | None
    upper: float | None


def _band(x: list[str], y: list[float | None], *, fill: bool) -> dict[str, object]:
    trace: dict[str, object] = {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "lines",
        "line": {"width": 0},
        "hoverinfo": "skip",
        "showlegend": False,
    }
    if fill:
        trace.update(fill="tonexty", fillcolor="rgba(239,108,0,0.18)")
    return trace


def estimate_chart(
    estimates: Sequence[EstimatePoint],
    realised: Sequence[MetricPoint],
    *,
    metric: str,
    min_coverage: float,
    x_range: tuple[datetime, datetime],
) -> Figure:
    """The estimate (dashed, with its band of 3 sampling errors) and the realised value (solid; hollow
    markers while fewer than `min_coverage` of the window's rows are labelled)."""
    points = sorted(estimates, key=lambda p: p.start)
    x = [_iso(p.start) for p in points]
    done = sorted((p for p in realised if p.value is not None), key=lambda p: p.start)
    provisional = [p.label_coverage is None or p.label_coverage < min_coverage for p in done]
    data = [
        _band(x, [_finite(p.upper) for p in points], fill=False),
        _band(x, [_finite(p.lower) for p in points], fill=True),
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "estimated",
            "x": x,
            "y": [_finite(p.value) for p in points],
            "line": {"color": WARN, "dash": "dash"},
            "marker": {"size": 5, "color": WARN},
            "hovertemplate": "window %{x}<br>estimated %{y:.4f}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "realised",
            "x": [_iso(p.start) for p in done],
            "y": [_finite(p.value) for p in done],
            "customdata": [f"{(p.label_coverage or 0):.0%}" for p in done],
            "line": {"color": ACCENT},
            "marker": {
                "size": 7,
                "color": ["white" if flag else ACCENT for flag in provisional],
                "line": {"color": ACCENT, "width": 2},
            },
            "hovertemplate": "window %{x}<br>realised %{y:.4f} (%{customdata} labelled)<extra></extra>",
        },
    ]
    title = f"{metric}: estimated without labels (band: 3 sampling errors) and realised"
    figure_layout = layout(title, height=280, x_range=x_range)
    figure_layout["showlegend"] = True
    return {"data": data, "layout": figure_layout, "title": chart_text(f"estimated {metric}")}


def estimate_error_chart(
    estimates: Sequence[EstimatePoint],
    realised: Sequence[MetricPoint],
    *,
    metric: str,
    min_coverage: float,
    x_range: tuple[datetime, datetime],
) -> Figure | None:
    """Realised minus estimated, per window whose labels cover `min_coverage` of its rows; red where
    the realised value fell outside the band. None before any window has its labels."""
    by_start = {p.start: p for p in estimates if p.value is not None}
    pairs = [
        (by_start[r.start], r)
        for r in sorted(realised, key=lambda r: r.start)
        if r.start in by_start and r.value is not None and (r.label_coverage or 0) >= min_coverage
    ]
    if not pairs:
        return None
    errors = [float(r.value or 0) - float(e.value or 0) for e, r in pairs]
    inside = [
        e.lower is not None and e.upper is not None and e.lower <= (r.value or 0) <= e.upper for e, r in pairs
    ]
    trace = {
        "type": "bar",
        "x": [_iso(r.start) for _, r in pairs],
        "y": errors,
        "marker": {"color": [OK if ok else BAD for ok in inside]},
        "hovertemplate": "window %{x}<br>realised - estimated %{y:+.4f}<extra></extra>",
    }
    share = sum(inside) / len(inside)
    mean_abs = sum(abs(e) for e in errors) / len(errors)
    title = (
        f"{metric}: realised - estimated, {len(pairs)} labelled windows; realised within the band on "
        f"{share:.0%}, mean |error| {mean_abs:.3g}"
    )
    figure_layout = layout(title, height=220, x_range=x_range)
    figure_layout["shapes"] = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0, "y1": 0, "line": {"color": MUTED}}
    ]
    return {"data": [trace], "layout": figure_layout, "title": chart_text(f"estimate error of {metric}")}
