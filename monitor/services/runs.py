"""Runs asked for by a person or a command: one window now, or a range of windows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from monitor import pipeline
from monitor.config import MonitorConfig
from monitor.errors import UserError
from monitor.pipeline.runtime import Runtime
from monitor.services.monitors import run_summary
from monitor.services.types import TriggerOut
from monitor.windows import Window, local_moment

logger = logging.getLogger(__name__)


class WindowNotClosed(UserError):
    """A manual run asked for a window that is still open: storing it would hide the real one."""


def manual_window(monitor: MonitorConfig, *, window_end: datetime | None, now: datetime) -> Window:
    """The window a person asks for: by default the last one the scheduler would have run by now."""
    grid = monitor.window.grid()
    if window_end is None:
        return grid.last_complete(now - monitor.schedule.delay)
    end = window_end if window_end.tzinfo else window_end.replace(tzinfo=UTC)
    window = grid.containing(end - grid.size / 2)
    if window.end > now:
        raise WindowNotClosed(
            f"the window {window.start.isoformat()} .. {window.end.isoformat()} has not closed yet; "
            "a run of it would be stored as complete and the scheduler would skip past it"
        )
    return window


def run_manual(
    runtime: Runtime, name: str, *, window_end: datetime | None, now: datetime
) -> pipeline.RunOutcome:
    """A run asked for by a person (API or CLI): recomputes the window if it was computed already."""
    window = manual_window(runtime.monitor(name), window_end=window_end, now=now)
    return pipeline.run_monitor(runtime, name, window, now=now, trigger="manual", recompute=True)


def trigger_run(runtime: Runtime, name: str, *, window_end: datetime | None, now: datetime) -> TriggerOut:
    outcome = run_manual(runtime, name, window_end=window_end, now=now)
    run = None if outcome.run_id is None else run_summary(runtime, outcome.run_id)
    return TriggerOut(status=outcome.status, reason=outcome.reason, run=run, error=outcome.error)


@dataclass(frozen=True)
class BackfillReport:
    runs: list[pipeline.RunOutcome]
    # Windows at the range's edges that were not computed, with why (pipeline.plan_backfill).
    skipped: list[pipeline.SkippedWindow]
    # The range as computed: [start, end) in UTC.
    start: datetime
    end: datetime
    # A date-only end is that day's local midnight, so the day itself is left out: said, not silent.
    end_day_excluded: date | None

    @property
    def end_day_included_by(self) -> date | None:
        """The date-only end that would have included `end_day_excluded`."""
        return None if self.end_day_excluded is None else self.end_day_excluded + timedelta(days=1)


def backfill(
    runtime: Runtime,
    name: str,
    start: date | datetime,
    end: date | datetime,
    *,
    now: datetime,
    recompute: bool = False,
    partial: bool = False,
    progress: Callable[[int, int, pipeline.RunOutcome], None] | None = None,
) -> BackfillReport:
    """Every window in [start, end); computed ones are skipped unless `recompute`, windows reaching
    over the range's edges unless `partial`. A date is its local midnight and a naive time is local,
    in the monitor's window time zone."""
    tz = runtime.monitor(name).window.timezone
    begin, stop = local_moment(start, tz), local_moment(end, tz)
    if stop <= begin:
        raise UserError("the end of a backfill (--to) must be after its start (--from)")
    done = pipeline.backfill(
        runtime, name, begin, stop, now=now, recompute=recompute, partial=partial, progress=progress
    )
    excluded = None if isinstance(end, datetime) else end
    return BackfillReport(done.runs, done.skipped, begin, stop, excluded)
