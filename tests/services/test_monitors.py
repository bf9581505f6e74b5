"""The monitor page's runs, page by page: links to older and newer pages keyed on window_end."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.services import monitors
from tests.conftest import DAY0, RuntimeFactory, monitor_config


@pytest.fixture
def runtime(sqlite_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(monitor_config(sqlite_url))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=10))
    return runtime


def ends(page: monitors.MonitorPage) -> list[int]:
    """Each run's window end as a day of the backfill (1 for the first window, ending June 2)."""
    return [(r.window_end - DAY0).days for r in page.runs]


def test_the_newest_page_links_to_older_runs(runtime: Runtime) -> None:
    page = monitors.monitor_page(runtime, "m", limit=3)
    assert ends(page) == [4, 3, 2] and page.total == 4
    assert page.pager == monitors.Pager(
        older_count=1,
        newer_count=0,
        older_href="?before=2026-06-03T00%3A00%3A00Z&limit=3",
        newer_href=None,
        bounded=False,
    )


def test_an_older_page_links_back_to_newer_runs(runtime: Runtime) -> None:
    page = monitors.monitor_page(runtime, "m", limit=3, before=DAY0 + timedelta(days=3))
    assert ends(page) == [2, 1]
    assert page.pager == monitors.Pager(0, 2, None, "?after=2026-06-03T00%3A00%3A00Z&limit=3", True)
    newer = monitors.monitor_page(runtime, "m", limit=3, after=DAY0 + timedelta(days=2))
    assert ends(newer) == [4, 3] and newer.pager.older_count == 2 and newer.pager.newer_href is None


def test_the_default_page_size_is_left_out_of_the_links(runtime: Runtime) -> None:
    page = monitors.monitor_page(runtime, "m", before=DAY0 + timedelta(days=4))
    assert ends(page) == [3, 2, 1]
    assert page.pager.newer_href == "?after=2026-06-04T00%3A00%3A00Z"


def test_a_bound_without_a_time_zone_is_utc(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")  # read as local time, the bound would be 4 hours later
    time.tzset()
    try:
        page = monitors.monitor_page(runtime, "m", limit=3, before=datetime(2026, 6, 4))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert ends(page) == [2, 1]  # the window ending at 2026-06-04 00:00 UTC is not before it


def test_a_page_past_the_oldest_run_is_empty_and_links_to_nothing(runtime: Runtime) -> None:
    page = monitors.monitor_page(runtime, "m", before=DAY0)
    assert page.runs == [] and page.total == 4
    assert page.pager == monitors.Pager(0, 0, None, None, True)


def test_one_bound_at_a_time_and_known_monitors_only(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="not both"):
        monitors.monitor_page(runtime, "m", before=DAY0, after=DAY0)
    with pytest.raises(monitors.UnknownMonitor):
        monitors.monitor_page(runtime, "nope")
