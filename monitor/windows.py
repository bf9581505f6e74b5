"""Tumbling time windows aligned to the calendar of a time zone. Pure: no clock is read here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_EPOCH = datetime(2000, 1, 3)  # a Monday, so weekly windows start on Mondays


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


def _floor_local(moment: datetime, size: timedelta, zone: ZoneInfo) -> datetime:
    """The start (wall clock, naive) of the window holding `moment`, on a grid anchored at _EPOCH."""
    local = moment.astimezone(zone).replace(tzinfo=None)
    steps = (local - _EPOCH) // size
    return _EPOCH + steps * size


def _aware(wall: datetime, zone: ZoneInfo) -> datetime:
    # Whole-day windows keep local midnights across daylight-saving changes (23 h and 25 h days).
    return wall.replace(tzinfo=zone).astimezone(UTC)


def window_containing(moment: datetime, size: timedelta, tz: str = "UTC") -> Window:
    zone = ZoneInfo(tz)
    start = _floor_local(moment, size, zone)
    return Window(_aware(start, zone), _aware(start + size, zone))


def windows_between(start: datetime, end: datetime, size: timedelta, tz: str = "UTC") -> Iterator[Window]:
    """Every complete window that starts at or after the window holding `start` and ends by `end`."""
    zone = ZoneInfo(tz)
    wall = _floor_local(start, size, zone)
    while True:
        window = Window(_aware(wall, zone), _aware(wall + size, zone))
        if window.end > end:
            return
        yield window
        wall += size


def last_complete_window(now: datetime, size: timedelta, tz: str = "UTC") -> Window:
    current = window_containing(now, size, tz)
    return window_containing(current.start - timedelta(microseconds=1), size, tz)
