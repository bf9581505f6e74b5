"""Chart figures from typed rows: scores relative to thresholds, column order, labels, bands."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from monitor.reports.charts import ColumnResult, MetricPoint, WindowPoint, column_order, drift_heatmap
from monitor.reports.metric_charts import metric_chart, sparkline

DAY0 = datetime(2026, 6, 1, tzinfo=UTC)
RANGE = (DAY0, DAY0 + timedelta(days=3))


def window(i: int) -> WindowPoint:
    return WindowPoint(i, DAY0 + timedelta(days=i), DAY0 + timedelta(days=i + 1), "succeeded", 100, 0.5)


def ks(run: int, column: str, p: float) -> ColumnResult:
    return ColumnResult(run, column, "ks", 0.1, p, 0.05, p < 0.05)


def test_p_value_scores_are_log_p_over_log_threshold() -> None:
    assert ks(0, "x", 0.05).score == pytest.approx(1.0)
    assert ks(0, "x", 0.0025).score == pytest.approx(2.0)  # 0.05 squared: twice as far past
    assert ks(0, "x", 0.5).score == pytest.approx(math.log(0.5) / math.log(0.05))
    assert ks(0, "x", 0.0).score == 3.0 and ks(0, "x", 1e-300).score == 3.0  # capped


def test_distance_scores_are_statistic_over_threshold() -> None:
    psi = ColumnResult(0, "x", "psi", 0.3, None, 0.2, True)
    assert psi.score == pytest.approx(1.5)
    assert ColumnResult(0, "x", "psi", math.nan, None, 0.2, False).score is None


def test_columns_that_drift_most_often_come_first() -> None:
    results = [
        ks(0, "a", 0.5),
        ks(1, "a", 0.5),
        ks(0, "b", 0.01),
        ks(1, "b", 0.01),
        ks(0, "c", 0.2),
        ks(1, "c", 0.01),
    ]
    assert column_order(results) == ["b", "c", "a"]


def test_heatmap_cells_hold_the_worst_test_and_link_to_the_run() -> None:
    windows = [window(0), window(1)]
    results = [
        ks(0, "x", 0.5),
        ColumnResult(0, "x", "psi", 0.4, None, 0.2, True),  # worse than the ks: 2.0
        ks(1, "x", 0.05),
    ]
    figure = drift_heatmap(windows, results, link="/runs/", x_range=RANGE)
    (trace,) = figure["data"]
    assert trace["y"] == ["x"] and trace["z"] == [[pytest.approx(2.0), pytest.approx(1.0)]]
    assert trace["customdata"][0][0][:2] == [0, "psi"] and trace["customdata"][0][1][0] == 1
    assert figure["link"] == "/runs/"


def test_hostile_and_colliding_column_names_are_escaped_and_kept_apart() -> None:
    long = "<script>" + "a" * 60
    results = [ks(0, long + "1", 0.01), ks(0, long + "2", 0.5)]
    (trace,) = drift_heatmap([window(0)], results, link=None, x_range=RANGE)["data"]
    assert all("<" not in label for label in trace["y"])
    assert len(set(trace["y"])) == 2 and trace["y"][1].endswith("(2)")


def test_metric_chart_marks_windows_below_the_coverage_as_provisional() -> None:
    points = [
        MetricPoint(0, DAY0, "roc_auc", 0.8, 0.75, 0.85, 1.0, 1),
        MetricPoint(1, DAY0 + timedelta(days=1), "roc_auc", 0.6, 0.4, 0.8, 0.3, 2),
    ]
    figure = metric_chart(points, metric="roc_auc", min_coverage=0.8, x_range=RANGE)
    high, low, values, coverage = figure["data"]
    assert (high["y"], low["y"], values["y"], coverage["y"]) == (
        [0.85, 0.8],
        [0.75, 0.4],
        [0.8, 0.6],
        [1.0, 0.3],
    )
    assert low["fill"] == "tonexty"
    assert values["marker"]["color"] == ["#1565c0", "white"]  # the provisional window is hollow
    assert values["customdata"][1][1] == "provisional: 30% labelled, v2"


def test_sparkline_scales_known_values_into_the_box() -> None:
    assert sparkline([0.0, None, 1.0], width=100, height=20) == "0.0,18.0 100.0,2.0"
    assert sparkline([None, 0.5]) == ""
