"""Time windows aligned to the calendar of a time zone. Pure: no clock is read here.

A monitor's windows advance in steps of `size` on a calendar grid of its time zone. A tumbling window
is one step; a rolling window (`length` longer than `size`, e.g. the last 7 days evaluated each day)
ends where a step ends and reaches `length` back.

- Steps of whole days (1d, 7d) follow local midnights, so a day lasts 23 or 25 hours across a
  daylight-saving change. Weekly steps start on Mondays.
- Steps shorter than a day (1h, 15m) are laid out in real elapsed time from each local midnight, so
  they follow local hours without ever being empty or overlapping when clocks jump: the 23-hour day
  has 23 hourly windows, the 25-hour day 25. A step that does not divide the day (7h) is cut at the
  next midnight.
- A rolling length of whole days reaches back that many local calendar days; other lengths reach
  back that much elapsed time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_EPOCH = datetime(2000, 1, 3)  # a Monday, so weekly windows start on Mondays
_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class Window:
    """[start, end) in UTC; a row exactly at `end` belongs to the next window."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be time-zone aware")
        if self.end <= self.start:
            raise ValueError(f"window end {self.end} is not after its start {self.start}")

    def label(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def _aware(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _whole_days(span: timedelta) -> bool:
    return span >= _DAY and span % _DAY == timedelta(0)


def _step_containing(moment: datetime, size: timedelta, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The (start, end) in UTC of the step holding `moment`."""
    local = moment.astimezone(zone).replace(tzinfo=None)
    if size >= _DAY:
        # Whole-day (and longer) steps keep local wall-clock boundaries on a grid anchored at _EPOCH.
        wall = _EPOCH + ((local - _EPOCH) // size) * size
        return _aware(wall, zone), _aware(wall + size, zone)
    midnight_wall = local.replace(hour=0, minute=0, second=0, microsecond=0)
    midnight, next_midnight = _aware(midnight_wall, zone), _aware(midnight_wall + _DAY, zone)
    start = midnight + ((moment.astimezone(UTC) - midnight) // size) * size
    return start, min(start + size, next_midnight)


def _window(step_end: datetime, step_start: datetime, length: timedelta | None, zone: ZoneInfo) -> Window:
    if length is None:
        return Window(step_start, step_end)
    if _whole_days(length):
        wall_end = step_end.astimezone(zone).replace(tzinfo=None)
        return Window(_aware(wall_end - length, zone), step_end)
    return Window(step_end - length, step_end)


def window_containing(
    moment: datetime, size: timedelta, tz: str = "UTC", length: timedelta | None = None
) -> Window:
    """The window whose last step holds `moment` (for tumbling windows: the window holding it)."""
    zone = ZoneInfo(tz)
    start, end = _step_containing(moment, size, zone)
    return _window(end, start, length, zone)


def windows_between(
    start: datetime, end: datetime, size: timedelta, tz: str = "UTC", length: timedelta | None = None
) -> Iterator[Window]:
    """Every window whose last step starts at or after the step holding `start` and ends by `end`."""
    zone = ZoneInfo(tz)
    step_start, step_end = _step_containing(start, size, zone)
    while step_end <= end:
        yield _window(step_end, step_start, length, zone)
        step_start, step_end = _step_containing(step_end, size, zone)


def last_complete_window(
    now: datetime, size: timedelta, tz: str = "UTC", length: timedelta | None = None
) -> Window:
    zone = ZoneInfo(tz)
    current_start, _ = _step_containing(now, size, zone)
    start, end = _step_containing(current_start - timedelta(microseconds=1), size, zone)
    return _window(end, start, length, zone)


def local_day(moment: datetime, tz: str = "UTC") -> date:
    """The calendar day of the time zone that `moment` falls on: the day a window belongs to, by its
    start (a daily report's day)."""
    return moment.astimezone(ZoneInfo(tz)).date()


def day_bounds(day: date, tz: str = "UTC") -> tuple[datetime, datetime]:
    """[local midnight of `day`, the next local midnight) in UTC: 23 or 25 hours across a DST change."""
    zone = ZoneInfo(tz)
    start = datetime(day.year, day.month, day.day)
    return _aware(start, zone), _aware(start + _DAY, zone)
