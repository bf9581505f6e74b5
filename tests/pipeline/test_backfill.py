"""Backfills of a half-open range [from, to): which windows are computed, which edges are left and why,
and the acceptance test of anchored windows (issue 12) on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import accuracy_score

from monitor import pipeline
from monitor.pipeline import SkippedWindow, plan_backfill
from monitor.store import runs as run_store
from monitor.windows import Window, WindowGrid
from tests.conftest import RuntimeFactory

DAY, WEEK = timedelta(days=1), timedelta(days=7)
BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_only_windows_inside_the_range_are_planned_and_the_edges_are_named() -> None:
    grid = WindowGrid(WEEK, anchor="tuesday")
    # Thu 2024-03-07 .. Sun 2024-03-31: the Tuesday weeks of 03-12 and 03-19 lie inside.
    windows, skipped = plan_backfill(grid, utc(2024, 3, 7), utc(2024, 3, 31), now=utc(2024, 6, 1))
    assert windows == [Window(utc(2024, 3, 12), utc(2024, 3, 19)), Window(utc(2024, 3, 19), utc(2024, 3, 26))]
    assert skipped == [
        SkippedWindow(Window(utc(2024, 3, 5), utc(2024, 3, 12)), ("starts_before_from",)),
        SkippedWindow(Window(utc(2024, 3, 26), utc(2024, 4, 2)), ("ends_after_to",)),
    ]
    assert all(s.partial for s in skipped)


def test_partial_computes_the_edge_windows_whole() -> None:
    grid = WindowGrid(WEEK, anchor="tuesday")
    windows, skipped = plan_backfill(
        grid, utc(2024, 3, 7), utc(2024, 3, 31), now=utc(2024, 6, 1), partial=True
    )
    assert [w.start for w in windows] == [
        utc(2024, 3, 5),
        utc(2024, 3, 12),
        utc(2024, 3, 19),
        utc(2024, 3, 26),
    ]
    assert skipped == []


def test_a_window_that_has_not_closed_is_never_computed() -> None:
    grid = WindowGrid(DAY)
    now = utc(2024, 3, 4, 12)  # the day 03-04 is still open; --to lies beyond it
    windows, skipped = plan_backfill(grid, utc(2024, 3, 1), utc(2024, 3, 10), now=now, partial=True)
    assert [w.start.day for w in windows] == [1, 2, 3]
    assert skipped == [SkippedWindow(Window(utc(2024, 3, 4), utc(2024, 3, 5)), ("not_closed",))]
    assert not skipped[0].partial
    # A range inside one open step: it reaches over both edges and has not closed.
    _, (edge,) = plan_backfill(grid, utc(2024, 3, 4, 1), utc(2024, 3, 4, 2), now=now)
    assert edge.reasons == ("starts_before_from", "ends_after_to", "not_closed")


def test_a_rolling_window_is_in_the_range_by_its_last_step() -> None:
    grid = WindowGrid(DAY, length=WEEK)
    windows, skipped = plan_backfill(grid, utc(2024, 3, 10), utc(2024, 3, 12), now=utc(2024, 6, 1))
    assert windows == [Window(utc(2024, 3, 4), utc(2024, 3, 11)), Window(utc(2024, 3, 5), utc(2024, 3, 12))]
    assert skipped == []


# The acceptance test: five weeks of predictions in Berlin, across the spring-forward change of
# 2024-03-31, monitored in weeks anchored on Tuesday.
DATA_FROM = datetime(2024, 3, 2, tzinfo=BERLIN)  # a Saturday
DATA_TO = datetime(2024, 4, 5, tzinfo=BERLIN)  # a Friday
ROWS = 6000


@pytest.fixture
def weekly_files(tmp_path: Path) -> Path:
    rng = np.random.default_rng(12)
    pd.DataFrame({"x": rng.normal(0, 1, 3000), "y": rng.normal(5, 2, 3000)}).to_parquet(
        tmp_path / "reference.parquet"
    )
    span = (DATA_TO - DATA_FROM).total_seconds()
    seconds = np.sort(rng.uniform(0, span, ROWS))
    timestamps = pd.Timestamp(DATA_FROM).tz_convert("UTC") + pd.to_timedelta(seconds, "s")
    # x drifts a little more every day, so each week's KS statistic differs from the next.
    days = seconds / 86400
    score = rng.random(ROWS)
    log = pd.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(ROWS)],
            "timestamp": timestamps,
            "x": rng.normal(days / 20, 1, ROWS),
            "y": rng.normal(5, 2, ROWS),
            "score": score,
            "prediction": (score > 0.5).astype(int),
        }
    )
    log.to_parquet(tmp_path / "predictions.parquet")
    right = rng.random(ROWS) < 0.5 + days / 100  # accuracy rises week by week
    pd.DataFrame(
        {
            "prediction_id": log["prediction_id"],
            "label": np.where(right, log["prediction"], 1 - log["prediction"]),
            "labelled_at": log["timestamp"] + pd.Timedelta(days=1),
        }
    ).to_parquet(tmp_path / "labels.parquet")
    return tmp_path


def test_weekly_windows_anchored_on_tuesday_equal_independent_computations(
    db_url: str, weekly_files: Path, make_runtime: RuntimeFactory
) -> None:
    config = {
        "database": {"url": db_url},
        "monitors": {
            "m": {
                "model": "toy",
                "source": {"type": "files", "path": "predictions.parquet"},
                "labels": {"source": {"type": "files", "path": "labels.parquet"}},
                "reference": {"type": "files", "path": "reference.parquet"},
                "schema": {"features": ["x", "y"]},
                "window": {"size": "7d", "anchor": "Tuesday", "timezone": "Europe/Berlin"},
                "drift": {"tests": ["ks"]},
                "metrics": ["accuracy"],
            }
        },
    }
    runtime = make_runtime(config)
    now = datetime(2024, 5, 1, tzinfo=UTC)  # every label has arrived
    done = pipeline.backfill(runtime, "m", DATA_FROM, DATA_TO, now=now)

    # Independently: Tuesday midnights in Berlin, from the first Tuesday after the data starts.
    tuesdays = [datetime(2024, 3, 5) + k * WEEK for k in range(6)]
    bounds = [t.replace(tzinfo=BERLIN).astimezone(UTC) for t in tuesdays]
    expected = [Window(a, b) for a, b in itertools.pairwise(bounds[:5])]
    assert [o.window for o in done.runs] == expected
    assert expected[3].end - expected[3].start == WEEK - timedelta(hours=1)  # 2024-03-31 springs forward
    assert [o.status for o in done.runs] == ["succeeded"] * 4
    # Sat 03-02 .. Tue 03-05 and Tue 04-02 .. Fri 04-05 hold data but not a whole week of the range.
    assert done.skipped == [
        SkippedWindow(Window(bounds[0] - WEEK, bounds[0]), ("starts_before_from",)),
        SkippedWindow(Window(bounds[4], bounds[5]), ("ends_after_to",)),
    ]

    log = pd.read_parquet(weekly_files / "predictions.parquet")
    labels = pd.read_parquet(weekly_files / "labels.parquet").set_index("prediction_id")["label"]
    reference = pd.read_parquet(weekly_files / "reference.parquet")
    for outcome, window in zip(done.runs, expected, strict=True):
        rows = log[(log.timestamp >= window.start) & (log.timestamp < window.end)]
        assert outcome.run_id is not None
        with runtime.sessions() as session:
            found = run_store.get_run(session=session, run_id=outcome.run_id)
            assert found is not None
            run, _ = found
            stored = {r.column_name: r.statistic for r in run.drift_results}
            accuracy = {m.metric: m.value for m in run.metric_values}["accuracy"]
            assert (run.window_start, run.window_end, run.row_count) == (window.start, window.end, len(rows))
        for column in ("x", "y"):
            assert stored[column] == pytest.approx(
                ks_2samp(reference[column], rows[column]).statistic, abs=1e-9
            )
        expected_accuracy = accuracy_score(labels.loc[rows.prediction_id], rows.prediction)
        assert accuracy == pytest.approx(expected_accuracy, abs=1e-9)
