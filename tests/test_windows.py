from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.windows import Window, last_complete_window, window_containing, windows_between

DAY = timedelta(days=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


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


HOUR = timedelta(hours=1)


def test_hourly_windows_across_spring_forward_are_never_empty() -> None:
    # Europe/Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST, so the local day has 23 hours.
    day = list(windows_between(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), HOUR, "Europe/Berlin"))
    assert len(day) == 23
    assert all(w.end - w.start == HOUR for w in day)
    assert all(a.end == b.start for a, b in itertools.pairwise(day))
    # 01:00 CET (00:00 UTC) is followed by 03:00 CEST (01:00 UTC): the missing hour has no window.
    assert day[1] == Window(utc(2026, 3, 29, 0), utc(2026, 3, 29, 1))
    assert day[2].start.astimezone(ZoneInfo("Europe/Berlin")).hour == 3


def test_hourly_windows_across_fall_back_count_the_repeated_hour_twice() -> None:
    # Europe/Berlin 2026-10-25: 03:00 CEST falls back to 02:00 CET, so the local day has 25 hours.
    day = list(windows_between(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), HOUR, "Europe/Berlin"))
    assert len(day) == 25 and all(w.end - w.start == HOUR for w in day)
    local_hours = [w.start.astimezone(ZoneInfo("Europe/Berlin")).hour for w in day]
    assert local_hours[:5] == [0, 1, 2, 2, 3]


def test_a_row_at_the_end_of_a_dst_day_belongs_to_the_next_local_day() -> None:
    # 2026-03-30 00:00 CEST is 2026-03-29 22:00 UTC.
    assert window_containing(utc(2026, 3, 29, 22), DAY, "Europe/Berlin").start == utc(2026, 3, 29, 22)
    last = window_containing(utc(2026, 3, 29, 21, 59, 59), DAY, "Europe/Berlin")
    assert (last.start, last.end) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))


def test_steps_that_do_not_divide_the_day_are_cut_at_midnight() -> None:
    day = list(windows_between(utc(2026, 1, 1), utc(2026, 1, 2), timedelta(hours=7)))
    assert [(w.start.hour, w.end - w.start) for w in day] == [
        (0, timedelta(hours=7)),
        (7, timedelta(hours=7)),
        (14, timedelta(hours=7)),
        (21, timedelta(hours=3)),
    ]


def test_rolling_windows_reach_back_whole_local_days_each_day() -> None:
    week = timedelta(days=7)
    windows = list(windows_between(utc(2026, 3, 30), utc(2026, 4, 2), DAY, "Europe/Berlin", length=week))
    # Each ends at a local midnight and starts 7 local days earlier, across the 23-hour day.
    assert [w.end for w in windows] == [utc(2026, 3, 30, 22), utc(2026, 3, 31, 22), utc(2026, 4, 1, 22)]
    assert windows[0].start == utc(2026, 3, 23, 23)  # 2026-03-24 00:00 CET
    assert windows[0].end - windows[0].start == week - HOUR
    assert windows[1].start - windows[0].start == timedelta(days=1)


def test_rolling_windows_in_utc_overlap_by_all_but_one_step() -> None:
    month = timedelta(days=30)
    assert last_complete_window(utc(2026, 5, 31, 6), DAY, length=month) == Window(
        utc(2026, 5, 1), utc(2026, 5, 31)
    )
    hourly = window_containing(utc(2026, 5, 31, 6, 30), HOUR, length=timedelta(hours=24))
    assert hourly == Window(utc(2026, 5, 30, 7), utc(2026, 5, 31, 7))
