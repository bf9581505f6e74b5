from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from monitor.windows import Window, last_complete_window, window_containing, windows_between

DAY = timedelta(days=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_row_exactly_at_the_end_belongs_to_the_next_window() -> None:
    first = window_containing(utc(2026, 3, 1, 23, 59, 59), DAY)
    boundary = window_containing(utc(2026, 3, 2), DAY)
    assert first == Window(utc(2026, 3, 1), utc(2026, 3, 2))
    assert boundary == Window(utc(2026, 3, 2), utc(2026, 3, 3))


def test_hourly_windows_align_to_the_hour() -> None:
    w = window_containing(utc(2026, 3, 1, 10, 42), timedelta(hours=1))
    assert (w.start, w.end) == (utc(2026, 3, 1, 10), utc(2026, 3, 1, 11))


def test_daily_windows_follow_local_midnight_across_daylight_saving() -> None:
    # Europe/Berlin springs forward on 2026-03-29: that local day lasts 23 hours.
    windows = list(windows_between(utc(2026, 3, 27, 12), utc(2026, 3, 31), DAY, "Europe/Berlin"))
    lengths = [w.end - w.start for w in windows]
    assert windows[0].start == utc(2026, 3, 26, 23)  # 2026-03-27 00:00 CET
    assert timedelta(hours=23) in lengths
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    berlin_midnight_after = [w for w in windows if w.start == utc(2026, 3, 29, 22)]
    assert berlin_midnight_after, "2026-03-30 00:00 CEST is 22:00 UTC"


def test_windows_between_only_returns_complete_windows() -> None:
    windows = list(windows_between(utc(2026, 1, 1, 5), utc(2026, 1, 4, 12), DAY))
    assert [w.start.day for w in windows] == [1, 2, 3]


def test_last_complete_window() -> None:
    assert last_complete_window(utc(2026, 1, 4, 0, 0, 1), DAY) == Window(utc(2026, 1, 3), utc(2026, 1, 4))
    assert last_complete_window(utc(2026, 1, 4), DAY) == Window(utc(2026, 1, 3), utc(2026, 1, 4))


def test_naive_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        Window(datetime(2026, 1, 1), datetime(2026, 1, 2))
