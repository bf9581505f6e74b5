"""Plotly figures (plain JSON dicts) of a monitor's windows: pure functions of typed rows, drawn in the
browser by plotly.js (served from the installed package) in the pages and in the daily report file.

Every text from data goes through `chart_text`; numbers that are not finite become gaps (None)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.reports.safe import chart_text

Figure = dict[str, Any]
SCORE_CAP = 3.0  # statistic ÷ threshold beyond this is drawn as this (the colour is already deep red)
VISIBLE_LINES = 8  # per-column drift lines drawn at first; the others are a legend click away
MAX_LINES = 25  # lines at most: the most drifted columns (every column is in the heatmap)
OK, WARN, BAD, MUTED, ACCENT = "#2e7d32", "#ef6c00", "#c62828", "#9e9e9e", "#1565c0"


@dataclass(frozen=True)
class WindowPoint:
    run_id: int
    start: datetime
    end: datetime
    status: str
    row_count: int | None
    drift_share: float | None


def drift_score(statistic: float | None, p_value: float | None, threshold: float) -> float | None:
    """How far past its threshold a result is: 1 at the threshold, above 1 drifted. For a p-value
    test log(p)/log(threshold), so each tenfold smaller p adds the same step."""
    if p_value is not None:
        if not 0 < threshold < 1:
            return None
        if p_value <= 0:
            return SCORE_CAP
        return min(SCORE_CAP, math.log(p_value) / math.log(threshold))
    if statistic is None or not math.isfinite(statistic) or threshold <= 0:
        return None
    return min(SCORE_CAP, statistic / threshold)


@dataclass(frozen=True, slots=True)
class ColumnResult:
    run_id: int
    column: str
    test: str
    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool
    # Read for ordering, the heatmap and the lines: computed once, when made.
    score: float | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "score", drift_score(self.statistic, self.p_value, self.threshold))


@dataclass(frozen=True)
class MetricPoint:
    run_id: int
    start: datetime
    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    label_coverage: float | None
    version: int


@dataclass(frozen=True)
class AlertSpan:
    name: str
    severity: str
    start: datetime  # start of the window in which the condition began
    end: datetime | None  # end of the window that resolved it; None: still active
    state: str


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _number(value: float | None) -> float | str:
    return value if value is not None and math.isfinite(value) else "–"


def layout(
    title: str, *, height: int = 260, x_range: tuple[datetime, datetime] | None = None
) -> dict[str, Any]:
    xaxis: dict[str, Any] = {"type": "date", "automargin": True}
    if x_range is not None:
        xaxis["range"] = [_iso(x_range[0]), _iso(x_range[1])]
    return {
        "title": {"text": chart_text(title, limit=None), "x": 0, "font": {"size": 14}},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 36, "b": 36},
        "hovermode": "closest",
        "showlegend": False,
        "xaxis": xaxis,
        "font": {"family": "system-ui, sans-serif", "size": 11},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
    }


def _unique_labels(columns: list[str]) -> dict[str, str]:
    """Shown label per column: shortened names that collide get a counter (plotly merges equal labels)."""
    seen: dict[str, int] = defaultdict(int)
    labels = {}
    for column in columns:
        label = chart_text(column, limit=40)
        seen[label] += 1
        labels[column] = label if seen[label] == 1 else f"{label} ({seen[label]})"
    return labels


def column_order(results: list[ColumnResult]) -> list[str]:
    """Columns that drifted in most windows first, then by their worst score, then by name."""
    drifted: dict[str, int] = defaultdict(int)
    worst: dict[str, float] = defaultdict(float)
    for r in results:
        drifted[r.column] += int(r.drifted)
        worst[r.column] = max(worst[r.column], r.score or 0.0)
    return sorted(drifted, key=lambda c: (-drifted[c], -worst[c], c))


def drift_heatmap(
    windows: list[WindowPoint],
    results: list[ColumnResult],
    *,
    link: str | None,
    x_range: tuple[datetime, datetime],
    order: list[str] | None = None,
) -> Figure:
    """Column by window: colour is the worst of the column's tests relative to its threshold. A click
    opens the run when `link` (a prefix such as /runs/) is given. `order`: column_order(results)."""
    columns = order if order is not None else column_order(results)
    labels = _unique_labels(columns)
    starts = {w.run_id: w.start for w in windows}
    x = [_iso(w.start) for w in windows]
    col_index = {w.run_id: i for i, w in enumerate(windows)}
    row_index = {c: i for i, c in enumerate(columns)}
    worst: dict[tuple[int, int], tuple[float | None, ColumnResult]] = {}
    for r in results:
        if r.run_id not in starts:
            continue
        cell, score = (row_index[r.column], col_index[r.run_id]), r.score
        found = worst.get(cell)
        if found is None or (score is not None and score > (found[0] or 0.0)):
            worst[cell] = (score, r)
    z: list[list[float | None]] = [[None] * len(windows) for _ in columns]
    custom: list[list[list[Any] | None]] = [[None] * len(windows) for _ in columns]
    tests: dict[str, str] = {}
    for (i, j), (score, r) in worst.items():  # hover data only for the test each cell shows
        z[i][j] = score
        test = tests.get(r.test) or tests.setdefault(r.test, chart_text(r.test))
        # Numbers go as numbers (plotly formats them); a missing one as a dash.
        custom[i][j] = [r.run_id, test, _number(r.statistic), _number(r.p_value), r.threshold]
    trace = {
        "type": "heatmap",
        "x": x,
        "y": [labels[c] for c in columns],
        "z": z,
        "customdata": custom,
        "zmin": 0,
        "zmax": SCORE_CAP,
        "colorscale": [[0, "#e8f5e9"], [0.32, "#fff9c4"], [0.334, "#ffccbc"], [1, "#b71c1c"]],
        "colorbar": {
            "title": {"text": "÷ threshold"},
            "tickvals": [0, 1, 2, 3],
            "ticktext": ["0", "1", "2", "≥3"],
        },
        "hovertemplate": "%{y}<br>window %{x}<br>%{customdata[1]}: statistic %{customdata[2]:.4~g}, "
        "p %{customdata[3]:.3~g}, threshold %{customdata[4]:.4~g}<extra></extra>",
        "xgap": 1,
        "ygap": 1,
    }
    figure_layout = layout(
        "Drift by column and window (1 = threshold)",
        height=min(1600, 90 + 18 * len(columns)),
        x_range=x_range,
    )
    figure_layout["yaxis"] = {"autorange": "reversed", "automargin": True}
    return {"data": [trace], "layout": figure_layout, "link": link}


def column_lines(
    windows: list[WindowPoint],
    results: list[ColumnResult],
    *,
    x_range: tuple[datetime, datetime],
    order: list[str] | None = None,
) -> Figure:
    """Each column's score over time with the threshold at 1; the most drifted are drawn, the rest
    wait in the legend."""
    starts = {w.run_id: w.start for w in windows}
    by_column: dict[str, dict[datetime, float | None]] = defaultdict(dict)
    for r in results:
        if r.run_id in starts:
            moment = starts[r.run_id]
            previous = by_column[r.column].get(moment)
            score = r.score
            if previous is None or (score is not None and score > previous):
                by_column[r.column][moment] = score
    every = order if order is not None else column_order(results)
    columns = every[:MAX_LINES]
    labels = _unique_labels(columns)
    traces = []
    for rank, column in enumerate(columns):
        points = sorted(by_column[column].items())
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": labels[column],
                "x": [_iso(m) for m, _ in points],
                "y": [_finite(v) for _, v in points],
                "visible": True if rank < VISIBLE_LINES else "legendonly",
                "hovertemplate": "%{fullData.name}<br>%{x}: %{y:.3f} × threshold<extra></extra>",
                "marker": {"size": 4},
            }
        )
    shown = "" if len(every) <= MAX_LINES else f": the {MAX_LINES} most drifted of {len(every)} columns"
    figure_layout = layout(f"Per-column drift (statistic ÷ threshold){shown}", height=320, x_range=x_range)
    figure_layout["showlegend"] = True
    figure_layout["legend"] = {"orientation": "v", "font": {"size": 10}}
    figure_layout["shapes"] = [_threshold_line(1.0)]
    return {"data": traces, "layout": figure_layout}


def _threshold_line(value: float) -> dict[str, Any]:
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": value,
        "y1": value,
        "line": {"color": BAD, "dash": "dash", "width": 1},
    }


def drift_share_chart(
    windows: list[WindowPoint], *, threshold: float, x_range: tuple[datetime, datetime]
) -> Figure:
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": [_iso(w.start) for w in windows],
        "y": [_finite(w.drift_share) for w in windows],
        "customdata": [w.run_id for w in windows],
        "line": {"color": ACCENT},
        "marker": {
            "color": [BAD if (w.drift_share or 0) >= threshold else ACCENT for w in windows],
            "size": 6,
        },
        "hovertemplate": "window %{x}<br>drift share %{y:.2f}<extra></extra>",
    }
    figure_layout = layout(f"Share of drifted columns (dataset drift at {threshold:g})", x_range=x_range)
    figure_layout["yaxis"] = {"range": [0, 1.02], "tickformat": ".0%"}
    figure_layout["shapes"] = [_threshold_line(threshold)]
    return {"data": [trace], "layout": figure_layout}


def row_count_chart(windows: list[WindowPoint], *, x_range: tuple[datetime, datetime]) -> Figure:
    trace = {
        "type": "bar",
        "x": [_iso(w.start) for w in windows],
        "y": [w.row_count for w in windows],
        "marker": {"color": [BAD if w.status == "failed" else MUTED for w in windows]},
        "hovertemplate": "window %{x}<br>%{y} rows<extra></extra>",
    }
    return {"data": [trace], "layout": layout("Rows per window", height=200, x_range=x_range)}
