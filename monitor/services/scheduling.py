"""What the scheduler's jobs do, as functions that return what they did: a test calls the same."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from monitor import pipeline
from monitor.notify.dispatch import deliver_pending
from monitor.pipeline.label_refresh import LabelRefresh, refresh_late_labels
from monitor.pipeline.runtime import Runtime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TickReport:
    """One tick of a monitor: the windows it ran and the past windows whose late labels it applied."""

    monitor: str
    runs: list[pipeline.RunOutcome] = field(default_factory=list)
    refreshed: list[LabelRefresh] = field(default_factory=list)


def tick(runtime: Runtime, name: str) -> TickReport:
    """Pulls the labels known by now and applies them to past windows within the label horizon,
    then runs every due window of the monitor in order (which counts the labels pulled)."""
    refreshed = refresh_late_labels(runtime, name, now=runtime.clock())
    for item in refreshed:
        if item.version is not None:
            logger.info("%s", item.summary())
    runs = pipeline.run_due(runtime, name, now=runtime.clock())
    for outcome in runs:
        context = {"monitor": name, "window": outcome.window.label(), "run_id": outcome.run_id}
        logger.info("%s", outcome.summary().splitlines()[0], extra=context)
    return TickReport(name, runs, refreshed)


def deliver(runtime: Runtime) -> int:
    """One dispatcher pass over the outbox; returns how many notifications were delivered."""
    alerting = runtime.config.alerting
    return deliver_pending(
        runtime.sessions,
        runtime.notifiers,
        clock=runtime.clock,
        lease=alerting.dispatch_lease,
        max_age=alerting.delivery_max_age,
    )
