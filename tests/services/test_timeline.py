"""The monitor page's charts, from a backfilled monitor, checked against the stored results read back
through the JSON API's service functions."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.services.monitors import run_detail, runs_page
from monitor.services.timeline import BadRange, choose_range, monitor_timeline
from tests.conftest import DAY0, RuntimeFactory, monitor_config

DAY = timedelta(days=1)


@pytest.fixture
def backfilled(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(monitor_config(db_url))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + 4 * DAY, now=DAY0 + 10 * DAY)
    return runtime


def figures(runtime: Runtime, **kw: object) -> dict[str, dict]:
    return dict(monitor_timeline(runtime, "m", **kw).figures)  # type: ignore[arg-type]


def expected_score(statistic: float | None, p_value: float | None, threshold: float) -> float:
    if p_value is not None:
        return 3.0 if p_value <= 0 else min(3.0, math.log10(p_value) / math.log10(threshold))
    assert statistic is not None
    return min(3.0, statistic / threshold)


def test_the_default_range_is_the_newest_90_windows_from_the_first(backfilled: Runtime) -> None:
    timeline = monitor_timeline(backfilled, "m")
    assert (timeline.range.start, timeline.range.end) == (DAY0, DAY0 + 4 * DAY)  # 4 windows stored
    spec = backfilled.config.monitors["m"]
    year = choose_range(spec, (DAY0, DAY0 + 364 * DAY), preset=None, start=None, end=None, now=DAY0)
    assert (year.start, year.end) == (DAY0 + 365 * DAY - 90 * DAY, DAY0 + 365 * DAY)
    assert timeline.windows == 4 and timeline.earlier is None and timeline.later is None


def test_a_custom_range_shows_its_windows_and_links_to_the_neighbours(backfilled: Runtime) -> None:
    timeline = monitor_timeline(backfilled, "m", start=DAY0 + DAY, end=DAY0 + 2 * DAY)
    assert timeline.windows == 1
    assert timeline.earlier is not None and (timeline.earlier.start, timeline.earlier.end) == (
        DAY0,
        DAY0 + DAY,
    )
    assert timeline.later is not None and timeline.later.start == DAY0 + 2 * DAY
    with pytest.raises(BadRange):
        monitor_timeline(backfilled, "m", start=DAY0 + DAY, end=DAY0)
    with pytest.raises(BadRange):
        monitor_timeline(backfilled, "m", preset="fortnight")


def test_presets_reach_back_from_the_newest_window(backfilled: Runtime) -> None:
    spec = backfilled.config.monitors["m"]
    bounds = (DAY0, DAY0 + 3 * DAY)
    week = choose_range(spec, bounds, preset="7d", start=None, end=None, now=DAY0)
    everything = choose_range(spec, bounds, preset="all", start=None, end=None, now=DAY0)
    assert (week.start, week.end) == (DAY0 + 4 * DAY - 7 * DAY, DAY0 + 4 * DAY)
    assert (everything.start, everything.end) == (DAY0, DAY0 + 4 * DAY)


def test_heatmap_cells_are_each_columns_worst_test_relative_to_its_threshold(backfilled: Runtime) -> None:
    (trace,) = figures(backfilled)["heatmap"]["data"]
    runs = runs_page(backfilled, "m", limit=10, offset=0).items
    assert trace["y"][:2] == ["x", "colour"] or trace["y"][:2] == ["colour", "x"]  # they drift; y does not
    assert trace["y"][2] == "y"
    for j, run in enumerate(runs):
        detail = run_detail(backfilled, run.id)
        assert detail is not None
        for i, column in enumerate(trace["y"]):
            scores = [
                expected_score(r.statistic, r.p_value, r.threshold)
                for r in detail.drift_results
                if r.column == column
            ]
            assert trace["z"][i][j] == pytest.approx(max(scores), rel=1e-9)
            assert trace["customdata"][i][j][0] == run.id


def test_metric_charts_draw_the_stored_values_and_intervals(backfilled: Runtime) -> None:
    found = figures(backfilled)
    runs = runs_page(backfilled, "m", limit=10, offset=0).items
    for metric in backfilled.config.monitors["m"].metrics:
        high, low, values, coverage = found[f"metric-{metric}"]["data"]
        stored = [next(m for m in r.metrics if m.metric == metric) for r in runs]
        assert values["y"] == [m.value for m in stored]
        assert (low["y"], high["y"]) == ([m.ci_low for m in stored], [m.ci_high for m in stored])
        assert coverage["y"] == [m.label_coverage for m in stored]


def test_drift_share_rows_and_the_alert_history_share_the_time_axis(backfilled: Runtime) -> None:
    found = figures(backfilled)
    runs = runs_page(backfilled, "m", limit=10, offset=0).items
    assert found["drift-share"]["data"][0]["y"] == [r.drift_share for r in runs]
    assert found["rows"]["data"][0]["y"] == [800, 800, 800, 800]
    # drift in windows 2 and 3, `for: 2`: pending from window 2, firing from window 3, still firing
    traces = {t["name"]: t for t in found["alerts"]["data"]}
    assert traces["pending"]["x"][:2] == [(DAY0 + 2 * DAY).isoformat(), (DAY0 + 3 * DAY).isoformat()]
    assert traces["firing"]["x"][:2] == [(DAY0 + 3 * DAY).isoformat(), (DAY0 + 4 * DAY).isoformat()]
    assert {r["layout"]["xaxis"]["range"][0] for r in found.values()} == {DAY0.isoformat()}
