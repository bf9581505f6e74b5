from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.windows import Window, WindowGrid, local_moment

DAY = timedelta(days=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_a_row_exactly_at_the_end_belongs_to_the_next_window() -> None:
    first = WindowGrid(DAY).containing(utc(2026, 3, 1, 23, 59, 59))
    boundary = WindowGrid(DAY).containing(utc(2026, 3, 2))
    assert first == Window(utc(2026, 3, 1), utc(2026, 3, 2))
    assert boundary == Window(utc(2026, 3, 2), utc(2026, 3, 3))


def test_hourly_windows_align_to_the_hour() -> None:
    w = WindowGrid(timedelta(hours=1)).containing(utc(2026, 3, 1, 10, 42))
    assert (w.start, w.end) == (utc(2026, 3, 1, 10), utc(2026, 3, 1, 11))


def test_daily_windows_follow_local_midnight_across_daylight_saving() -> None:
    # Europe/Berlin springs forward on 2026-03-29: that local day lasts 23 hours.
    windows = list(WindowGrid(DAY, "Europe/Berlin").between(utc(2026, 3, 27, 12), utc(2026, 3, 31)))
    lengths = [w.end - w.start for w in windows]
    assert windows[0].start == utc(2026, 3, 26, 23)  # 2026-03-27 00:00 CET
    assert timedelta(hours=23) in lengths
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    berlin_midnight_after = [w for w in windows if w.start == utc(2026, 3, 29, 22)]
    assert berlin_midnight_after, "2026-03-30 00:00 CEST is 22:00 UTC"


def test_between_only_returns_complete_windows() -> None:
    windows = list(WindowGrid(DAY).between(utc(2026, 1, 1, 5), utc(2026, 1, 4, 12)))
    assert [w.start.day for w in windows] == [1, 2, 3]


def test_last_complete() -> None:
    assert WindowGrid(DAY).last_complete(utc(2026, 1, 4, 0, 0, 1)) == Window(utc(2026, 1, 3), utc(2026, 1, 4))
    assert WindowGrid(DAY).last_complete(utc(2026, 1, 4)) == Window(utc(2026, 1, 3), utc(2026, 1, 4))


def test_naive_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        Window(datetime(2026, 1, 1), datetime(2026, 1, 2))


HOUR = timedelta(hours=1)


def test_hourly_windows_across_spring_forward_are_never_empty() -> None:
    # Europe/Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST, so the local day has 23 hours.
    day = list(WindowGrid(HOUR, "Europe/Berlin").between(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)))
    assert len(day) == 23
    assert all(w.end - w.start == HOUR for w in day)
    assert all(a.end == b.start for a, b in itertools.pairwise(day))
    # 01:00 CET (00:00 UTC) is followed by 03:00 CEST (01:00 UTC): the missing hour has no window.
    assert day[1] == Window(utc(2026, 3, 29, 0), utc(2026, 3, 29, 1))
    assert day[2].start.astimezone(ZoneInfo("Europe/Berlin")).hour == 3


def test_hourly_windows_across_fall_back_count_the_repeated_hour_twice() -> None:
    # Europe/Berlin 2026-10-25: 03:00 CEST falls back to 02:00 CET, so the local day has 25 hours.
    day = list(WindowGrid(HOUR, "Europe/Berlin").between(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)))
    assert len(day) == 25 and all(w.end - w.start == HOUR for w in day)
    local_hours = [w.start.astimezone(ZoneInfo("Europe/Berlin")).hour for w in day]
    assert local_hours[:5] == [0, 1, 2, 2, 3]


def test_a_row_at_the_end_of_a_dst_day_belongs_to_the_next_local_day() -> None:
    # 2026-03-30 00:00 CEST is 2026-03-29 22:00 UTC.
    assert WindowGrid(DAY, "Europe/Berlin").containing(utc(2026, 3, 29, 22)).start == utc(2026, 3, 29, 22)
    last = WindowGrid(DAY, "Europe/Berlin").containing(utc(2026, 3, 29, 21, 59, 59))
    assert (last.start, last.end) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))


def test_steps_that_do_not_divide_the_day_are_cut_at_midnight() -> None:
    day = list(WindowGrid(timedelta(hours=7)).between(utc(2026, 1, 1), utc(2026, 1, 2)))
    assert [(w.start.hour, w.end - w.start) for w in day] == [
        (0, timedelta(hours=7)),
        (7, timedelta(hours=7)),
        (14, timedelta(hours=7)),
        (21, timedelta(hours=3)),
    ]


def test_rolling_windows_reach_back_whole_local_days_each_day() -> None:
    week = timedelta(days=7)
    windows = list(WindowGrid(DAY, "Europe/Berlin", week).between(utc(2026, 3, 30), utc(2026, 4, 2)))
    # Each ends at a local midnight and starts 7 local days earlier, across the 23-hour day.
    assert [w.end for w in windows] == [utc(2026, 3, 30, 22), utc(2026, 3, 31, 22), utc(2026, 4, 1, 22)]
    assert windows[0].start == utc(2026, 3, 23, 23)  # 2026-03-24 00:00 CET
    assert windows[0].end - windows[0].start == week - HOUR
    assert windows[1].start - windows[0].start == timedelta(days=1)


def test_rolling_windows_in_utc_overlap_by_all_but_one_step() -> None:
    month = timedelta(days=30)
    assert WindowGrid(DAY, length=month).last_complete(utc(2026, 5, 31, 6)) == Window(
        utc(2026, 5, 1), utc(2026, 5, 31)
    )
    hourly = WindowGrid(HOUR, length=timedelta(hours=24)).containing(utc(2026, 5, 31, 6, 30))
    assert hourly == Window(utc(2026, 5, 30, 7), utc(2026, 5, 31, 7))


# Anchored grids. 2024-03-05 is a Tuesday; Europe/Berlin springs forward on 2024-03-31 (02:00 CET to
# 03:00 CEST) and falls back on 2024-10-27 (03:00 CEST to 02:00 CET).
WEEK = timedelta(days=7)


def test_a_weekday_anchor_starts_weeks_on_that_day_in_any_case() -> None:
    thursday = utc(2024, 3, 7, 12)
    assert WindowGrid(WEEK, anchor="tuesday").containing(thursday) == Window(
        utc(2024, 3, 5), utc(2024, 3, 12)
    )
    assert WindowGrid(WEEK, anchor="TUESDAY").containing(thursday) == Window(
        utc(2024, 3, 5), utc(2024, 3, 12)
    )
    assert WindowGrid(WEEK, anchor="Sunday").containing(thursday) == Window(utc(2024, 3, 3), utc(2024, 3, 10))
    # No anchor: Mondays, as before.
    assert WindowGrid(WEEK).containing(thursday) == Window(utc(2024, 3, 4), utc(2024, 3, 11))
    fortnight = WindowGrid(2 * WEEK, anchor="tuesday").containing(thursday)
    assert fortnight.start.weekday() == 1 and fortnight.end - fortnight.start == 2 * WEEK


def test_a_weekday_anchor_refuses_steps_that_are_not_whole_weeks() -> None:
    for size in (DAY, HOUR, timedelta(days=10)):
        with pytest.raises(ValueError, match=r"needs a step of whole weeks \(7d, 14d"):
            WindowGrid(size, anchor="tuesday")
    with pytest.raises(ValueError, match="unknown weekday 'funday'"):
        WindowGrid(WEEK, anchor="funday")


def test_an_anchored_week_keeps_local_midnights_across_daylight_saving() -> None:
    grid = WindowGrid(WEEK, "Europe/Berlin", anchor="tuesday")
    spring = grid.containing(utc(2024, 3, 31, 12))
    # Tue 2024-03-26 00:00 CET .. Tue 2024-04-02 00:00 CEST: one hour short.
    assert spring == Window(utc(2024, 3, 25, 23), utc(2024, 4, 1, 22))
    assert spring.end - spring.start == WEEK - HOUR
    autumn = grid.containing(utc(2024, 10, 27, 12))
    # Tue 2024-10-22 00:00 CEST .. Tue 2024-10-29 00:00 CET: one hour long.
    assert autumn == Window(utc(2024, 10, 21, 22), utc(2024, 10, 28, 23))
    weeks = list(grid.between(utc(2024, 3, 19), utc(2024, 4, 16)))
    assert all(a.end == b.start for a, b in itertools.pairwise(weeks))
    local_starts = [w.start.astimezone(ZoneInfo("Europe/Berlin")) for w in weeks]
    assert {(s.weekday(), s.hour, s.minute) for s in local_starts} == {(1, 0, 0)}


def test_an_origin_timestamp_sets_the_local_time_days_start_at() -> None:
    grid = WindowGrid(DAY, "Europe/Berlin", anchor=datetime(2024, 1, 2, 6))  # naive: 06:00 Berlin
    # 05:59 CET on 03-05 is still the day that began at 06:00 CET on 03-04.
    assert grid.containing(utc(2024, 3, 5, 4, 59)) == Window(utc(2024, 3, 4, 5), utc(2024, 3, 5, 5))
    assert grid.containing(utc(2024, 3, 5, 5)) == Window(utc(2024, 3, 5, 5), utc(2024, 3, 6, 5))
    # The day holding the spring-forward change: 06:00 CET .. 06:00 CEST, 23 hours.
    assert grid.containing(utc(2024, 3, 31, 0)) == Window(utc(2024, 3, 30, 5), utc(2024, 3, 31, 4))
    # An aware origin is read as the wall-clock time it is in the grid's zone: 06:00 UTC is 07:00 CET.
    aware = WindowGrid(DAY, "Europe/Berlin", anchor=datetime(2024, 1, 2, 6, tzinfo=UTC))
    assert aware.containing(utc(2024, 1, 10, 12)) == Window(utc(2024, 1, 10, 6), utc(2024, 1, 11, 6))


def test_an_origin_timestamp_fixes_which_fortnight() -> None:
    grid = WindowGrid(2 * WEEK, anchor=datetime(2024, 3, 12))
    assert grid.containing(utc(2024, 3, 11)) == Window(utc(2024, 2, 27), utc(2024, 3, 12))
    assert grid.containing(utc(2024, 3, 12)) == Window(utc(2024, 3, 12), utc(2024, 3, 26))


def test_sub_day_steps_are_offset_by_the_origin() -> None:
    grid = WindowGrid(HOUR, anchor=datetime(2024, 1, 2, 0, 30))
    assert grid.containing(utc(2024, 3, 5, 10, 10)) == Window(utc(2024, 3, 5, 9, 30), utc(2024, 3, 5, 10, 30))
    day = list(grid.between(utc(2024, 3, 5, 0, 30), utc(2024, 3, 6, 0, 30)))
    assert len(day) == 24 and {(w.start.minute, w.end - w.start) for w in day} == {(30, HOUR)}
    # In Berlin, the local day from 00:30 holding the spring-forward change has 23 hours of them.
    berlin = WindowGrid(HOUR, "Europe/Berlin", anchor=datetime(2024, 1, 2, 0, 30))
    short = list(berlin.between(utc(2024, 3, 30, 23, 30), utc(2024, 3, 31, 22, 30)))
    assert len(short) == 23 and all(w.end - w.start == HOUR for w in short)
    assert all(a.end == b.start for a, b in itertools.pairwise(short))
    assert {w.start.astimezone(ZoneInfo("Europe/Berlin")).minute for w in short} == {30}


def test_a_rolling_window_on_an_anchored_grid() -> None:
    grid = WindowGrid(DAY, "Europe/Berlin", WEEK, anchor=datetime(2024, 1, 2, 6))
    # Ends at 06:00 local and reaches back 7 local days: across the spring-forward change, 167 hours.
    assert grid.last_complete(utc(2024, 3, 5, 12)) == Window(utc(2024, 2, 27, 5), utc(2024, 3, 5, 5))
    across = grid.last_complete(utc(2024, 4, 2, 12))
    assert across == Window(utc(2024, 3, 26, 5), utc(2024, 4, 2, 4))
    monthly = WindowGrid(WEEK, length=4 * WEEK, anchor="tuesday").last_complete(utc(2024, 3, 14))
    assert monthly == Window(utc(2024, 2, 13), utc(2024, 3, 12))


def test_boundaries_in_a_skipped_or_repeated_hour_still_hold_every_moment() -> None:
    grid = WindowGrid(DAY, "Europe/Berlin", anchor=datetime(2024, 1, 2, 2, 30))
    # 2024-03-31 02:30 does not exist in Berlin: that day's boundary falls at 03:30 CEST (01:30 UTC),
    # so 03:15 CEST still belongs to the day before.
    assert grid.containing(utc(2024, 3, 31, 1, 15)) == Window(
        utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1, 30)
    )
    # 2024-10-27 02:30 happens twice: the boundary is the first (CEST, 00:30 UTC); 02:15 CET after it
    # (01:15 UTC) is in the new day.
    assert grid.containing(utc(2024, 10, 27, 1, 15)) == Window(
        utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)
    )
    for begin, stop in ((utc(2024, 3, 28), utc(2024, 4, 3)), (utc(2024, 10, 24), utc(2024, 10, 30))):
        days = list(grid.between(begin, stop))
        assert all(a.end == b.start for a, b in itertools.pairwise(days))
        moments = [
            begin + k * timedelta(minutes=15) for k in range(int((stop - begin) / timedelta(minutes=15)))
        ]
        assert all(grid.containing(m).start <= m < grid.containing(m).end for m in moments)


def test_cover_splits_a_range_into_inside_windows_and_edges() -> None:
    cover = WindowGrid(WEEK, anchor="tuesday").cover(utc(2024, 3, 7), utc(2024, 3, 31))
    assert cover.inside == (
        Window(utc(2024, 3, 12), utc(2024, 3, 19)),
        Window(utc(2024, 3, 19), utc(2024, 3, 26)),
    )
    assert [(e.window, e.starts_before, e.ends_after) for e in cover.edges] == [
        (Window(utc(2024, 3, 5), utc(2024, 3, 12)), True, False),
        (Window(utc(2024, 3, 26), utc(2024, 4, 2)), False, True),
    ]
    aligned = WindowGrid(WEEK, anchor="tuesday").cover(utc(2024, 3, 5), utc(2024, 3, 19))
    assert len(aligned.inside) == 2 and aligned.edges == ()
    # A range inside one step: the one window reaches over both edges.
    (edge,) = WindowGrid(WEEK, anchor="tuesday").cover(utc(2024, 3, 6), utc(2024, 3, 8)).edges
    assert (edge.starts_before, edge.ends_after) == (True, True)
    # A rolling window is in the range by its last step, however far back it reaches.
    rolling = WindowGrid(DAY, length=WEEK).cover(utc(2024, 3, 5), utc(2024, 3, 7))
    assert rolling.inside == (
        Window(utc(2024, 2, 28), utc(2024, 3, 6)),
        Window(utc(2024, 2, 29), utc(2024, 3, 7)),
    )
    assert rolling.edges == ()


def test_local_moment_reads_dates_and_naive_times_in_the_zone() -> None:
    assert local_moment(date(2024, 3, 31), "Europe/Berlin") == utc(2024, 3, 30, 23)
    assert local_moment(datetime(2024, 3, 31, 12), "Europe/Berlin") == utc(2024, 3, 31, 10)
    assert local_moment(datetime(2024, 3, 31, 12, tzinfo=UTC), "Europe/Berlin") == utc(2024, 3, 31, 12)


def test_a_window_splits_into_pieces_that_cover_it_exactly() -> None:
    day = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    pieces = day.split(5)
    assert [(p.start.hour, p.start.minute, p.start.second) for p in pieces] == [
        (0, 0, 0),
        (4, 48, 0),
        (9, 36, 0),
        (14, 24, 0),
        (19, 12, 0),
    ]
    assert pieces[-1].end == day.end
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))
    odd = Window(day.start, day.start + timedelta(microseconds=10)).split(3)
    assert [(p.end - p.start).microseconds for p in odd] == [3, 4, 3]  # 10/3 and 20/3 rounded
    tiny = Window(day.start, day.start + timedelta(microseconds=2))
    assert len(tiny.split(7)) == 2
    assert day.split(1) == [day]
    with pytest.raises(ValueError, match="at least one piece"):
        day.split(0)
