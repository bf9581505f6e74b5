"""Jinja2 rendering shared by the web pages and the self-contained reports."""

from __future__ import annotations

import itertools
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from monitor.drift import ColumnQuality, DatasetDrift, TestResult
from monitor.reports.safe import inline_script, json_island, visible
from monitor.resources import plotly_js, plotly_version, reports_dir, static_dir

# Where the web app serves plotly.js and the favicon (monitor/web/static.py); pages link them from here.
PLOTLY_URL = "/static/plotly.min.js"
FAVICON_URL = "/favicon.ico"


@dataclass(frozen=True)
class Viewer:
    """Who the page is rendered for: the header names them, or says that auth is off."""

    name: str
    scope: str
    auth_off: bool


# Set by the web layer for each request; pages read it through the template global `viewer()`.
VIEWER: ContextVar[Viewer | None] = ContextVar("viewer", default=None)


def _number(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "–"
    if value != 0 and (abs(value) < 10 ** (-digits) or abs(value) >= 10**6):
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}f}"


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _when(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(reports_dir() / "templates")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = _number
    env.filters["when"] = _when
    env.filters["duration"] = format_duration
    env.globals["viewer"] = VIEWER.get
    env.filters["json_island"] = json_island
    env.filters["visible"] = visible
    # A page that draws charts: <script src="{{ plotly_src }}"></script>. The version in the query
    # lets browsers keep the file for a year and still fetch a new one after an upgrade.
    env.globals["plotly_src"] = f"{PLOTLY_URL}?v={plotly_version()}"
    env.globals["favicon_url"] = FAVICON_URL
    return env


@lru_cache(maxsize=1)
def inline_chart_scripts() -> Markup:
    """plotly.js and charts.js made safe to inline: what a self-contained report draws its charts with."""
    plotly = plotly_js().read_text(encoding="utf-8")
    charts = (static_dir() / "charts.js").read_text(encoding="utf-8")
    return (
        Markup("<script>")
        + inline_script(plotly)
        + Markup("</script>\n<script>")
        + inline_script(charts)
        + Markup("</script>")
    )


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


MAX_CHART_BINS = 40


@dataclass(frozen=True)
class Chart:
    """Reference and current shares per bin, ready to draw as paired bars (inline SVG, no script)."""

    labels: list[str]
    reference: list[float]
    current: list[float]
    truncated: int = 0  # bins left out (the smallest, when there are too many to draw)

    @property
    def top(self) -> float:
        return max([*self.reference, *self.current, 1e-12])


def bin_labels(details: dict[str, Any]) -> list[str] | None:
    if details.get("binning") == "quantile":
        edges = [_number(float(e), 3) for e in details.get("edges", [])]
        if not edges:
            return ["all"]
        middle = [f"{a} – {b}" for a, b in itertools.pairwise(edges)]
        return [f"< {edges[0]}", *middle, f"≥ {edges[-1]}"]
    categories = details.get("categories")
    return None if categories is None else [str(c) for c in categories]


def chart_for(results: list[TestResult]) -> Chart | None:
    """From the first result of a column whose details hold bins (PSI's, or a test that shares them)."""
    for r in results:
        labels = bin_labels(r.details)
        ref, cur = r.details.get("reference_counts"), r.details.get("current_counts")
        if labels is None or ref is None or cur is None or len(labels) != len(ref):
            continue
        ref_total, cur_total = sum(ref) or 1, sum(cur) or 1
        bins = [(label, a / ref_total, b / cur_total) for label, a, b in zip(labels, ref, cur, strict=True)]
        truncated = 0
        if len(bins) > MAX_CHART_BINS:
            keep = sorted(bins, key=lambda b: -max(b[1], b[2]))[:MAX_CHART_BINS]
            truncated = len(bins) - len(keep)
            bins = [b for b in bins if b in keep]
        return Chart([b[0] for b in bins], [b[1] for b in bins], [b[2] for b in bins], truncated)
    return None


@dataclass(frozen=True)
class ColumnSection:
    name: str
    quality: ColumnQuality
    results: list[TestResult]
    chart: Chart | None

    @property
    def drifted(self) -> bool:
        return any(r.drifted for r in self.results)


def drift_sections(result: DatasetDrift) -> list[ColumnSection]:
    by_column: dict[str, list[TestResult]] = {}
    for r in result.results:
        by_column.setdefault(r.column, []).append(r)
    return [
        ColumnSection(q.column, q, by_column.get(q.column, []), chart_for(by_column.get(q.column, [])))
        for q in result.columns
    ]


def render_drift_page(result: DatasetDrift, *, reference: str, current: str) -> str:
    """A self-contained page: inline CSS and SVG, no script, no link to anything outside it."""
    return render(
        "drift_report.html",
        result=result,
        sections=drift_sections(result),
        reference=reference,
        current=current,
    )
