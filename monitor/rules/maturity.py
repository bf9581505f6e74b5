"""When metric rules judge a window: once its labels are known, not when it is run. Pure.

A window's metrics are known when enough of its rows have a label (`min_label_coverage` of the rule)
or when the window has left the label horizon (its metrics are final then, however many labels it
got). Windows are judged in window order, each once, so `for` and `keep_firing_for` count
consecutive windows as they do for every other rule. A window that is not ready holds back the newer
ones, but not for ever: once a newer window has been ready for `grace` (one more look at the older
window's labels) and the older one is still not ready, the older one is passed over, which for the
rule is a window without a value. It is not judged later, even if its labels complete: alert
history never rewinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Verdict = Literal["judge", "pass"]


@dataclass(frozen=True)
class MetricVersion:
    """One stored version of a window's metrics."""

    version: int
    coverage: float | None  # labelled share of the window's rows; None: the window had no rows
    computed_at: datetime


@dataclass(frozen=True)
class PendingWindow:
    """A computed window a metric rule has not judged yet."""

    run_id: int
    start: datetime
    end: datetime
    versions: tuple[MetricVersion, ...]  # oldest first
    final_at: datetime  # when it leaves the label horizon: its metrics no longer change


def ready_since(window: PendingWindow, min_coverage: float) -> datetime:
    """When the window's metrics became good enough to judge (possibly in the future: not yet).

    The first version with at least `min_coverage` of its rows labelled, or the end of the label
    horizon. A window without rows has nothing to wait for; nor has one with no metrics at all."""
    moments = [window.final_at]
    moments += [v.computed_at for v in window.versions if v.coverage is None or v.coverage >= min_coverage]
    if not window.versions:
        moments.append(window.end)
    return min(moments)


def plan_judgements(
    windows: Sequence[PendingWindow], min_coverage: float, *, now: datetime, grace: timedelta
) -> list[tuple[PendingWindow, Verdict]]:
    """What one metric rule does now with its pending windows (given oldest first): judge the ready
    ones in order, pass over a stale unready one, and stop at the first window it must wait for."""
    since = [ready_since(w, min_coverage) for w in windows]
    plan: list[tuple[PendingWindow, Verdict]] = []
    for i, window in enumerate(windows):
        if since[i] <= now:
            plan.append((window, "judge"))
        elif any(s <= now - grace for s in since[i + 1 :]):
            plan.append((window, "pass"))
        else:
            break
    return plan
