"""Which windows to run: every due window after downtime, in order, and backfills of a range."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from monitor.clock import advancing
from monitor.notify.dispatch import deliver_pending
from monitor.pipeline.label_refresh import advance_labels
from monitor.pipeline.run import RunOutcome, run_monitor
from monitor.pipeline.runtime import Runtime
from monitor.store import claims
from monitor.store import runs as run_store
from monitor.store.monitors import monitor_id
from monitor.windows import Window, WindowGrid

MAX_CATCH_UP_WINDOWS = 366


EdgeReason = Literal["starts_before_from", "ends_after_to", "not_closed"]


@dataclass(frozen=True)
class SkippedWindow:
    """A window at an edge of a backfill's range that was not computed, and why."""

    window: Window
    reasons: tuple[EdgeReason, ...]

    @property
    def partial(self) -> bool:
        """Whether `partial=True` would have computed it (it only reaches over the range's edges)."""
        return "not_closed" not in self.reasons


@dataclass(frozen=True)
class Backfill:
    runs: list[RunOutcome]
    skipped: list[SkippedWindow]


def plan_backfill(
    grid: WindowGrid, start: datetime, end: datetime, *, now: datetime, partial: bool = False
) -> tuple[list[Window], list[SkippedWindow]]:
    """The windows a backfill of [start, end) computes, oldest first, and the edge windows it leaves.

    A window is in the range when its last step lies inside it (for a rolling window, reaching back
    before `start` is what it is for). Edge windows, whose step starts before `start` or ends after
    `end`, are computed whole only with `partial`; windows not closed by `now` never are."""
    # Steps after `now` cannot have closed; stopping there keeps a far-future `end` cheap.
    cover = grid.cover(start, min(end, now))
    chosen = list(cover.inside)
    skipped = []
    for edge in cover.edges:
        reasons: list[EdgeReason] = []
        if edge.starts_before:
            reasons.append("starts_before_from")
        if edge.window.end > end:
            reasons.append("ends_after_to")
        if edge.window.end > now:
            reasons.append("not_closed")
        if partial and "not_closed" not in reasons:
            chosen.append(edge.window)
        else:
            skipped.append(SkippedWindow(edge.window, tuple(reasons)))
    return sorted(chosen, key=lambda w: (w.end, w.start)), skipped


def backfill(
    runtime: Runtime,
    name: str,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    recompute: bool = False,
    partial: bool = False,
    progress: Callable[[int, int, RunOutcome], None] | None = None,
) -> Backfill:
    """Every complete window in [start, end), oldest first; edge windows only with `partial`
    (plan_backfill), otherwise returned as skipped. Labels are pulled in data time: before each
    window, up to when the live service would have run it (its end plus the schedule's delay), so
    its metrics count the labels known then and later versions follow as they became known; finally
    up to `now`."""
    monitor = runtime.monitor(name)
    grid = monitor.window.grid()
    windows, skipped = plan_backfill(grid, start, end, now=now, partial=partial)
    outcomes = []
    clock = advancing(now)  # claims and the final delivery are stamped when they happen
    for i, window in enumerate(windows, 1):
        advance_labels(runtime, name, through=min(window.end + monitor.schedule.delay, now), now=clock())
        outcome = run_monitor(
            runtime,
            name,
            window,
            now=now,
            trigger="backfill",
            recompute=recompute,
            deliver=False,
            lease_clock=clock,
        )
        outcomes.append(outcome)
        if progress is not None:
            progress(i, len(windows), outcome)
    advance_labels(runtime, name, through=now, now=clock())
    deliver_pending(
        runtime.sessions,
        runtime.notifiers,
        now=clock(),
        lease=runtime.config.alerting.dispatch_lease,
    )
    return Backfill(outcomes, skipped)


def due_windows(runtime: Runtime, name: str, *, now: datetime) -> list[Window]:
    """Complete windows, past the schedule's delay, not yet computed since the latest computed one;
    and earlier ones to run again (failed with attempts left, or left running by a dead process).
    Oldest first, so a catch-up computes in window order."""
    monitor = runtime.monitor(name)
    grid = monitor.window.grid()
    last = grid.last_complete(now - monitor.schedule.delay)
    with runtime.sessions() as session:
        latest = run_store.latest_run(session=session, monitor=name)
        mid = monitor_id(session=session, name=name)
        again = (
            claims.windows_due_again(
                session=session,
                monitor_id=mid,
                now=now,
                leasing=runtime.leasing(),
            )
            if mid is not None
            else []
        )
    if latest is None:
        return [last]
    ahead = _windows_ahead(latest.window_end, last, grid)
    merged = {(w.start, w.end): w for w in [*(Window(s, e) for s, e in again), *ahead]}
    return sorted(merged.values(), key=lambda w: (w.end, w.start))[-MAX_CATCH_UP_WINDOWS:]


def _windows_ahead(latest_end: datetime, last: Window, grid: WindowGrid) -> list[Window]:
    # A succeeded latest window is where catching up starts; one that is not (failed, running) is
    # left to windows_due_again, which knows whether it is due. Windows are found by their last step,
    # which for a rolling window is its end, not its start.
    return list(grid.between(latest_end, last.end))


def run_due(runtime: Runtime, name: str, *, now: datetime) -> list[RunOutcome]:
    """What a scheduled tick does: catch up every due window in order."""
    clock = advancing(now)
    return [
        run_monitor(runtime, name, w, now=now, trigger="schedule", lease_clock=clock)
        for w in due_windows(runtime, name, now=now)
    ]
