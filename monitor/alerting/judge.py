"""Judging windows: a window's facts advance the monitor's alerts, in window order, and the alerts
judged on one window are routed together.

Most rules judge a window when it is run. Metric rules judge it when its labels are known
(monitor.alerting.ready): in the run's transaction when they already are, else in the transaction
that records the late labels (monitor.pipeline.labels). Either way each window is judged once per
rule, in window order.

Everything here is written in the caller's transaction: the results, the alert changes and the
outbox rows commit together or not at all, so a notification is never lost and never announces a
result that was rolled back. Delivery happens after commit (monitor.notify.dispatch).
"""

from __future__ import annotations

from monitor.alerting.context import AlertContext
from monitor.alerting.lifecycle import advance_alerts
from monitor.alerting.ready import JudgedWindow, judged_at_run, ready_windows
from monitor.alerting.rejudge import rejudge_alerts
from monitor.alerting.routing import route_notifications
from monitor.rules import WindowFacts
from monitor.store import alerts as repo
from monitor.store.tables import AlertRow
from monitor.windows import Window


def apply_rules(ctx: AlertContext, *, run_id: int, window: Window, facts: WindowFacts) -> list[str]:
    """Advance every alert of the monitor by this run's window and queue the notifications it calls
    for: the rules judged at run time on this window, and the metric rules on every window whose
    labels are now known (this one included, as when old data is backfilled with its labels).
    Returns the names of the alerts that fired; those of other windows name their window."""
    repo.lock_monitor(session=ctx.session, monitor_id=ctx.monitor_id)
    alerts = repo.monitor_alerts(session=ctx.session, monitor_id=ctx.monitor_id)
    # A window older than one already evaluated (a recompute, a late backfill) must not rewind
    # alerts nor send anything: its news is old.
    latest = max((a.last_window_end for a in alerts.values() if a.last_window_end), default=None)
    stale = latest is not None and latest >= window.end
    # A window that could not be computed is judged by `run_failed` rules only: it has no other facts.
    at_run = [r for r in ctx.rules if judged_at_run(r) and (r.signal == "run_failed" or not facts.run_failed)]
    here = JudgedWindow(
        window,
        run_id,
        facts,
        at_run,
        route=not stale,
        run_url=ctx.run_url(run_id),
    )
    judged: list[JudgedWindow] = []
    for found in ready_windows(ctx, running=window):
        if found.run_id == run_id and not found.rejudge:
            here.rules += found.rules
            here.route = here.route or bool(found.rules)
            here.details = found.details
        else:
            judged.append(found)
    judged.append(here)
    judged.sort(key=lambda j: (j.window.end, j.window.start))
    return judge_windows(ctx, judged, alerts, here=window)


def judge_late_metrics(ctx: AlertContext) -> list[str]:
    """The metric rules on every window whose labels are known by now (called as late labels are
    recorded, in their transaction). Returns the alerts that fired, each with its window."""
    if all(judged_at_run(r) for r in ctx.rules):
        return []
    repo.lock_monitor(session=ctx.session, monitor_id=ctx.monitor_id)
    judged = ready_windows(ctx)
    if not judged:
        return []
    alerts = repo.monitor_alerts(session=ctx.session, monitor_id=ctx.monitor_id)
    return judge_windows(ctx, judged, alerts)


def judge_windows(
    ctx: AlertContext, judged: list[JudgedWindow], alerts: dict[str, AlertRow], *, here: Window | None = None
) -> list[str]:
    """Each window in order: its rules advance their alerts, then routing sees all the monitor's
    alerts (every rule's), so alerts firing in one window make one message per group."""
    fired: list[str] = []
    for item in judged:
        if not item.rules and not item.route:
            continue
        advance = rejudge_alerts(ctx, item, alerts) if item.rejudge else advance_alerts(ctx, item, alerts)
        names = advance.fired
        fired += names if item.window == here else [f"{n} (window {item.window.label()})" for n in names]
        if item.route:
            route_notifications(ctx, item, alerts, advance)
    return fired
