"""Charts of dataset-level drift over windows: the domain classifier's AUC with its interval, the
PCA reconstruction error within its reference band, and the importance-weighted drift share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.reports.charts import ACCENT, BAD, Figure, _finite, _iso, _threshold_line, layout


@dataclass(frozen=True)
class DatasetPoint:
    """One window's stored dataset-level drift (RunRow.dataset_drift)."""

    run_id: int
    start: datetime
    dataset_drift: dict[str, Any]

    def test(self, name: str) -> dict[str, Any] | None:
        return next((t for t in self.dataset_drift.get("tests") or [] if t.get("test") == name), None)


def _test_trace(points: list[DatasetPoint], name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    found = [(p, t) for p in points if (t := p.test(name)) is not None and t.get("statistic") is not None]
    trace: dict[str, Any] = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": [_iso(p.start) for p, _ in found],
        "y": [_finite(t["statistic"]) for _, t in found],
        "customdata": [p.run_id for p, _ in found],
        "line": {"color": ACCENT},
        "marker": {"color": [BAD if t.get("drifted") else ACCENT for _, t in found], "size": 6},
    }
    return trace, [t for _, t in found]


def classifier_chart(points: list[DatasetPoint], *, x_range: tuple[datetime, datetime]) -> Figure | None:
    trace, tests = _test_trace(points, "domain_classifier")
    if not tests:
        return None
    details = [t.get("details") or {} for t in tests]
    trace["error_y"] = {
        "type": "data",
        "symmetric": False,
        "array": [(d.get("auc_high") or s) - s for d, s in zip(details, trace["y"], strict=True)],
        "arrayminus": [s - (d.get("auc_low") or s) for d, s in zip(details, trace["y"], strict=True)],
        "color": ACCENT,
    }
    trace["hovertemplate"] = "window %{x}<br>AUC %{y:.3f}<extra></extra>"
    threshold = tests[-1].get("upper") or 0.55
    figure_layout = layout(
        f"Domain classifier ROC AUC (drift from {threshold:g}, 0.5: no difference)", x_range=x_range
    )
    figure_layout["yaxis"] = {"range": [0.3, 1.02]}
    figure_layout["shapes"] = [_threshold_line(threshold)]
    return {"data": [trace], "layout": figure_layout}


def reconstruction_chart(points: list[DatasetPoint], *, x_range: tuple[datetime, datetime]) -> Figure | None:
    trace, tests = _test_trace(points, "pca_reconstruction")
    if not tests:
        return None
    trace["hovertemplate"] = "window %{x}<br>reconstruction error %{y:.4g}<extra></extra>"
    figure_layout = layout(
        "PCA reconstruction error (drift outside the reference's mean -+ 3 std)", x_range=x_range
    )
    last = tests[-1]
    figure_layout["shapes"] = [
        _threshold_line(v) for v in (last.get("lower"), last.get("upper")) if v is not None
    ]
    return {"data": [trace], "layout": figure_layout}


def weighted_share_chart(points: list[DatasetPoint], *, x_range: tuple[datetime, datetime]) -> Figure | None:
    found = [(p, w) for p in points if (w := p.dataset_drift.get("weighted")) is not None]
    if not found:
        return None
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": [_iso(p.start) for p, _ in found],
        "y": [_finite(w.get("drift_share")) for _, w in found],
        "customdata": [p.run_id for p, _ in found],
        "line": {"color": ACCENT},
        "hovertemplate": "window %{x}<br>weighted drift share %{y:.2f}<extra></extra>",
    }
    figure_layout = layout("Drift share weighted by feature importance", x_range=x_range)
    figure_layout["yaxis"] = {"range": [0, 1.02], "tickformat": ".0%"}
    return {"data": [trace], "layout": figure_layout}


def dataset_charts(
    rows: list[tuple[int, datetime, dict[str, Any]]], *, x_range: tuple[datetime, datetime]
) -> list[tuple[str, Figure]]:
    """The charts of the stored (run id, window start, dataset-level drift) rows that have them."""
    points = [DatasetPoint(*row) for row in rows]
    charts = [
        ("dataset-classifier", classifier_chart(points, x_range=x_range)),
        ("dataset-reconstruction", reconstruction_chart(points, x_range=x_range)),
        ("weighted-drift-share", weighted_share_chart(points, x_range=x_range)),
    ]
    return [(key, figure) for key, figure in charts if figure is not None]
