"""Time windows aligned to the calendar of a time zone. Pure: no clock is read here.

A monitor's windows advance in steps of `size` on a calendar grid of its time zone (a WindowGrid). A
tumbling window is one step; a rolling window (`length` longer than `size`, e.g. the last 7 days
evaluated each day) ends where a step ends and reaches `length` back.

- Steps of whole days (1d, 7d) follow local wall-clock boundaries, so a day lasts 23 or 25 hours
  across a daylight-saving change. Without an anchor they start at local midnight and weekly steps
  on Mondays.
- Steps shorter than a day (1h, 15m) are laid out in real elapsed time from the start of each local
  day, so they follow local hours without ever being empty or overlapping when clocks jump: the
  23-hour day has 23 hourly windows, the 25-hour day 25. A step that does not divide the day (7h)
  is cut at the start of the next day.
- A rolling length of whole days reaches back that many local calendar days; other lengths reach
  back that much elapsed time.

An anchor moves the grid:

- a weekday name (`tuesday`): steps of whole weeks start at that weekday's local midnight. Other
  steps are refused, since "every Tuesday" says nothing about where a daily or hourly step starts.
- an origin timestamp (naive: wall-clock time of the grid's zone; aware: converted to it): steps of
  whole days start at its local wall-clock time on the dates it fixes (2024-01-02T06:00 with 1d:
  days from 06:00 to 06:00; with 14d: the fortnights of which 2024-01-02 is a first day). Shorter
  steps are laid from its time of day, which becomes the start of each local day (…T00:30 with 1h:
  hours from :30 to :30).

A boundary in a skipped or repeated local hour (possible only with an anchor off midnight) falls at
the first instant of that wall-clock time, or just after the gap; every moment still belongs to
exactly one step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

_EPOCH = datetime(2000, 1, 3)  # a Monday, so weekly windows start on Mondays by default
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


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

    def split(self, count: int) -> list[Window]:
        """`count` consecutive windows of (nearly) equal length covering this one exactly: each
        piece ends where the next starts, so every moment of the window is in exactly one piece.
        Fewer when the window has fewer microseconds than `count`."""
        if count < 1:
            raise ValueError(f"a window splits into at least one piece, not {count}")
        span = self.end - self.start
        count = min(count, span // timedelta(microseconds=1))
        bounds = [self.start + span * i / count for i in range(count)] + [self.end]
        return [Window(a, b) for a, b in pairwise(bounds)]


@dataclass(frozen=True)
class EdgeWindow:
    """A window whose last step reaches over an edge of a range: it starts before the range does, or
    ends after it (a rolling window reaching back before the range is not an edge: that is its point)."""

    window: Window
    starts_before: bool
    ends_after: bool


@dataclass(frozen=True)
class RangeCover:
    """The windows whose last step lies in a range [start, end), and the edge windows that overlap it."""

    inside: tuple[Window, ...]
    edges: tuple[EdgeWindow, ...]


def _aware(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None, fold=0)


def _whole_days(span: timedelta) -> bool:
    return span >= _DAY and span % _DAY == timedelta(0)


def weekday_index(name: str) -> int:
    """0 for Monday .. 6 for Sunday, any case; ValueError naming the choices otherwise."""
    try:
        return WEEKDAYS.index(name.strip().lower())
    except ValueError:
        raise ValueError(f"unknown weekday {name[:40]!r}; use one of {', '.join(WEEKDAYS)}") from None


def local_moment(value: date | datetime, tz: str = "UTC") -> datetime:
    """A moment in UTC from what a person typed: a date is its local midnight in `tz`, a naive time is
    wall-clock time in `tz`, an aware one is itself."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        return _aware(value, ZoneInfo(tz))
    return value.astimezone(UTC)


@dataclass(frozen=True)
class WindowGrid:
    """Where a monitor's windows fall: its step `size`, time zone, rolling `length` and `anchor` (a
    weekday name or an origin timestamp). Built once from the config and passed whole, so no caller can
    lay windows with part of it."""

    size: timedelta
    timezone: str = "UTC"
    length: timedelta | None = None
    anchor: str | datetime | None = None
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    # Whole-day steps: a wall-clock time on the grid. Shorter steps: where each local day starts.
    _origin: datetime = field(init=False, repr=False, compare=False)
    _day_start: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.size <= timedelta(0):
            raise ValueError("the step (size) must be a positive duration")
        zone = ZoneInfo(self.timezone)
        origin = _EPOCH
        if isinstance(self.anchor, datetime):
            origin = _wall(self.anchor, zone) if self.anchor.tzinfo else self.anchor
        elif isinstance(self.anchor, str):
            index = weekday_index(self.anchor)
            if self.size < _WEEK or self.size % _WEEK:
                raise ValueError(
                    f"a weekday anchor ({self.anchor}) needs a step of whole weeks (7d, 14d, ...); "
                    "for other steps give an origin timestamp such as 2024-01-02T06:00"
                )
            origin = _EPOCH + index * _DAY
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_origin", origin)
        object.__setattr__(self, "_day_start", origin - datetime.combine(origin.date(), time()))

    def containing(self, moment: datetime) -> Window:
        """The window whose last step holds `moment` (for tumbling windows: the window holding it)."""
        return self._window(*self._step(moment))

    def between(self, start: datetime, end: datetime) -> Iterator[Window]:
        """Every window whose last step starts at or after the step holding `start` and ends by `end`."""
        step_start, step_end = self._step(start)
        while step_end <= end:
            yield self._window(step_start, step_end)
            step_start, step_end = self._step(step_end)

    def last_complete(self, now: datetime) -> Window:
        """The newest window that has ended by `now`."""
        current_start, _ = self._step(now)
        return self._window(*self._step(current_start - timedelta(microseconds=1)))

    def cover(self, start: datetime, end: datetime) -> RangeCover:
        """The windows whose last step lies inside [start, end), and the (at most two) edge windows
        whose last step overlaps the range but reaches over its start or its end."""
        inside: list[Window] = []
        edges: list[EdgeWindow] = []
        if end <= start:
            return RangeCover((), ())
        step_start, step_end = self._step(start)
        while step_start < end:
            window = self._window(step_start, step_end)
            if step_start < start or step_end > end:
                edges.append(EdgeWindow(window, step_start < start, step_end > end))
            else:
                inside.append(window)
            step_start, step_end = self._step(step_end)
        return RangeCover(tuple(inside), tuple(edges))

    def _step(self, moment: datetime) -> tuple[datetime, datetime]:
        """The (start, end) in UTC of the step holding `moment`."""
        if self.size >= _DAY:
            return self._wall_step(moment)
        day_start, next_day = self._local_day(moment)
        start = day_start + ((moment - day_start) // self.size) * self.size
        return start, min(start + self.size, next_day)

    def _wall_step(self, moment: datetime) -> tuple[datetime, datetime]:
        # Whole-day (and longer) steps keep local wall-clock boundaries on a grid through the origin.
        wall = self._origin + ((_wall(moment, self._zone) - self._origin) // self.size) * self.size
        start, end = _aware(wall, self._zone), _aware(wall + self.size, self._zone)
        # A boundary in a skipped or repeated hour can put the moment just outside the step found
        # from its wall-clock time: the neighbouring step holds it.
        if moment < start:
            return _aware(wall - self.size, self._zone), start
        if moment >= end:
            return end, _aware(wall + 2 * self.size, self._zone)
        return start, end

    def _local_day(self, moment: datetime) -> tuple[datetime, datetime]:
        wall = _wall(moment, self._zone) - self._day_start
        day = datetime.combine(wall.date(), time()) + self._day_start
        start, end = _aware(day, self._zone), _aware(day + _DAY, self._zone)
        if moment < start:
            return _aware(day - _DAY, self._zone), start
        if moment >= end:
            return end, _aware(day + 2 * _DAY, self._zone)
        return start, end

    def _window(self, step_start: datetime, step_end: datetime) -> Window:
        if self.length is None:
            return Window(step_start, step_end)
        if _whole_days(self.length):
            return Window(_aware(_wall(step_end, self._zone) - self.length, self._zone), step_end)
        return Window(step_end - self.length, step_end)


def local_day(moment: datetime, tz: str = "UTC") -> date:
    """The calendar day of the time zone that `moment` falls on: the day a window belongs to, by its
    start (a daily report's day)."""
    return moment.astimezone(ZoneInfo(tz)).date()


def day_bounds(day: date, tz: str = "UTC") -> tuple[datetime, datetime]:
    """[local midnight of `day`, the next local midnight) in UTC: 23 or 25 hours across a DST change."""
    zone = ZoneInfo(tz)
    start = datetime(day.year, day.month, day.day)
    return _aware(start, zone), _aware(start + _DAY, zone)
