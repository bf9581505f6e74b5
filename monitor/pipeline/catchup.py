"""Which windows to run: every due window after downtime, in order, and backfills of a range."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from monitor.notify.dispatch import deliver_pending
from monitor.pipeline.run import RunOutcome, elapsed, run_monitor
from monitor.pipeline.runtime import Runtime
from monitor.store import runs as run_store
from monitor.windows import Window, last_complete_window, windows_between

MAX_CATCH_UP_WINDOWS = 366


def backfill(
    runtime: Runtime,
    name: str,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    recompute: bool = False,
    progress: Callable[[int, int, RunOutcome], None] | None = None,
) -> list[RunOutcome]:
    """Every complete window from the one holding `start` up to `end`, oldest first."""
    window_cfg = runtime.monitor(name).window
    windows = list(
        windows_between(start, min(end, now), window_cfg.size, window_cfg.timezone, window_cfg.length)
    )
    outcomes = []
    began = time.monotonic()
    for i, window in enumerate(windows, 1):
        outcome = run_monitor(
            runtime, name, window, now=now, trigger="backfill", recompute=recompute, deliver=False
        )
        outcomes.append(outcome)
        if progress is not None:
            progress(i, len(windows), outcome)
    deliver_pending(
        runtime.sessions,
        runtime.notifiers,
        now=elapsed(now, began),
        lease=runtime.config.alerting.dispatch_lease,
    )
    return outcomes


def due_windows(runtime: Runtime, name: str, *, now: datetime) -> list[Window]:
    """Complete windows, past the schedule's delay, not yet computed since the latest computed one."""
    monitor = runtime.monitor(name)
    size, tz, length = monitor.window.size, monitor.window.timezone, monitor.window.length
    last = last_complete_window(now - monitor.schedule.delay, size, tz, length)
    with runtime.sessions() as session:
        latest = run_store.latest_run(session=session, monitor=name)
    if latest is None:
        return [last]
    # A failed latest window is tried again; a succeeded one is where catching up starts. Windows
    # are found by their last step, which for a rolling window is its end, not its start.
    end = latest.window_end
    resume = end if latest.status == "succeeded" else end - timedelta(microseconds=1)
    pending = list(windows_between(resume, last.end, size, tz, length))
    return pending[-MAX_CATCH_UP_WINDOWS:]


def run_due(runtime: Runtime, name: str, *, now: datetime) -> list[RunOutcome]:
    """What a scheduled tick does: catch up every due window in order."""
    return [
        run_monitor(runtime, name, w, now=now, trigger="schedule")
        for w in due_windows(runtime, name, now=now)
    ]
