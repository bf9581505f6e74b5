"""A column's reference and current distributions overlaid, as a plotly figure (a plain dict): grouped
bars of each side's share per bin. Numerical columns use the PSI bins (quantile edges of the
reference); categorical ones one bar per category, with categories the reference never had ("new")
drawn in another colour and named so on hover. A pure function of a drift result's stored details."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from monitor.reports.charts import ACCENT, MUTED, WARN, Figure
from monitor.reports.render import bin_labels
from monitor.reports.safe import chart_text

MAX_BARS = 40  # categories beyond this many are left out (the smallest), and the title says how many
AXIS_LABEL = 24  # characters of a category shown under its bar; the hover shows up to HOVER_LABEL
HOVER_LABEL = 200


@dataclass(frozen=True)
class Bin:
    label: str  # as the data has it (shown through chart_text only)
    reference: float  # share of the reference's values
    current: float
    new: bool  # in the current window only


def distribution_bins(details: dict[str, Any]) -> tuple[list[Bin], int] | None:
    """The bins of a result's details with each side's share, and how many were left out (the smallest,
    when more than MAX_BARS); None when the details hold no bins (pruned, or a test without them)."""
    labels = bin_labels(details)
    ref, cur = details.get("reference_counts"), details.get("current_counts")
    if labels is None or ref is None or cur is None or not (len(labels) == len(ref) == len(cur)):
        return None
    ref_total, cur_total = sum(ref) or 1, sum(cur) or 1
    categorical = details.get("binning") != "quantile"
    bins = [
        Bin(label, a / ref_total, b / cur_total, categorical and a == 0 and b > 0)
        for label, a, b in zip(labels, ref, cur, strict=True)
    ]
    if len(bins) <= MAX_BARS:
        return bins, 0
    # New categories are kept first: they are what a reader looks for.
    ranked = sorted(
        range(len(bins)), key=lambda i: (not bins[i].new, -max(bins[i].reference, bins[i].current))
    )
    keep = set(ranked[:MAX_BARS])
    return [b for i, b in enumerate(bins) if i in keep], len(bins) - len(keep)


def _axis_labels(bins: list[Bin]) -> list[str]:
    """Shown labels, shortened; equal ones get a counter (plotly would merge their bars)."""
    seen: dict[str, int] = defaultdict(int)
    out = []
    for b in bins:
        label = chart_text(b.label, limit=AXIS_LABEL)
        seen[label] += 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _bars(
    name: str, x: list[str], shares: list[float], hover: list[list[str]], colour: Any
) -> dict[str, Any]:
    return {
        "type": "bar",
        "name": name,
        "x": x,
        "y": shares,
        "customdata": hover,
        "marker": {"color": colour},
        "hovertemplate": f"%{{customdata[0]}}<br>{name}: %{{y:.1%}}%{{customdata[1]}}<extra></extra>",
    }


def distribution_figure(column: str, details: dict[str, Any]) -> Figure | None:
    """Grouped bars of the reference's and the current window's share per bin; None without bins."""
    found = distribution_bins(details)
    if found is None:
        return None
    bins, left_out = found
    x = _axis_labels(bins)
    hover = [
        [chart_text(b.label, limit=HOVER_LABEL), " (new: not in the reference)" if b.new else ""]
        for b in bins
    ]
    current_colours = [WARN if b.new else ACCENT for b in bins]
    data = [
        _bars("reference", x, [b.reference for b in bins], hover, MUTED),
        _bars("current", x, [b.current for b in bins], hover, current_colours),
    ]
    quantile = details.get("binning") == "quantile"
    title = f"{chart_text(column, limit=60)}: share of values per {'PSI bin' if quantile else 'value'}"
    new = sum(b.new for b in bins)
    if new:
        title += f" · {new} new (orange)"
    if left_out:
        title += f" · {left_out} smaller bins not shown"
    layout = {
        "title": {"text": title, "x": 0, "font": {"size": 13}},
        "barmode": "group",
        "height": 260,
        "margin": {"l": 50, "r": 20, "t": 36, "b": 60},
        "showlegend": True,
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.12},
        "xaxis": {"type": "category", "automargin": True, "tickangle": -30 if len(bins) > 8 else 0},
        "yaxis": {"tickformat": ".0%", "rangemode": "tozero"},
        "hovermode": "closest",
        "font": {"family": "system-ui, sans-serif", "size": 11},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
    }
    return {"data": data, "layout": layout}
