"""The estimate charts: the band and both lines, and the estimate's error over labelled windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.reports.charts import BAD, OK, MetricPoint
from monitor.reports.estimate_charts import EstimatePoint, estimate_chart, estimate_error_chart

DAY = datetime(2026, 3, 1, tzinfo=UTC)
RANGE = (DAY, DAY + timedelta(days=4))


def day(i: int) -> datetime:
    return DAY + timedelta(days=i)


ESTIMATES = [EstimatePoint(day(i), 0.80, 0.77, 0.83) for i in range(4)]
REALISED = [
    MetricPoint(1, day(0), "accuracy", 0.81, None, None, 1.0, 3),  # inside the band
    MetricPoint(2, day(1), "accuracy", 0.70, None, None, 0.95, 2),  # outside
    MetricPoint(3, day(2), "accuracy", 0.95, None, None, 0.10, 1),  # too few labels yet
]


def test_the_error_counts_labelled_windows_only() -> None:
    figure = estimate_error_chart(ESTIMATES, REALISED, metric="accuracy", min_coverage=0.8, x_range=RANGE)
    assert figure is not None
    (bars,) = figure["data"]
    assert bars["y"] == pytest.approx([0.01, -0.10])
    assert bars["marker"]["color"] == [OK, BAD]
    assert "2 labelled windows; realised within the band on 50%" in figure["layout"]["title"]["text"]


def test_no_error_chart_before_labels() -> None:
    early = [p for p in REALISED if p.label_coverage is not None and p.label_coverage < 0.8]
    assert estimate_error_chart(ESTIMATES, early, metric="accuracy", min_coverage=0.8, x_range=RANGE) is None


def test_the_estimate_chart_draws_the_band_and_both_lines() -> None:
    figure = estimate_chart(ESTIMATES, REALISED, metric="accuracy", min_coverage=0.8, x_range=RANGE)
    upper, lower, estimated, realised = figure["data"]
    assert upper["y"] == [0.83] * 4 and lower["y"] == [0.77] * 4 and lower["fill"] == "tonexty"
    assert estimated["y"] == [0.8] * 4
    assert realised["y"] == [0.81, 0.70, 0.95]
    # The window with 10% of its labels is provisional: a hollow marker.
    assert realised["marker"]["color"][2] == "white"
