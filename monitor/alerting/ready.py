"""Which windows the metric rules of a monitor judge now: those whose labels are known.

A window's metrics are rarely known when it is run: labels arrive days later and are added as new
metric versions (monitor.pipeline.labels). So metric rules do not judge a window at run time; each rule
judges the windows after its cursor in window order, once each, when they are ready
(monitor.rules.maturity): at run time when the labels are already there (a backfill of old data),
else in the transaction that records the late labels. Every other rule judges a window when it runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.alerting.context import AlertContext
from monitor.config import AlertRuleConfig
from monitor.rules import WindowFacts
from monitor.rules.maturity import PendingWindow, plan_judgements, ready_since
from monitor.store import Session, judgements
from monitor.store import cursors as repo
from monitor.windows import Window

logger = logging.getLogger(__name__)


def judged_at_run(rule: AlertRuleConfig) -> bool:
    """Metric rules wait for the window's labels; every other rule judges a window when it runs."""
    return rule.signal != "metric"


@dataclass
class JudgedWindow:
    """One window some rules judge now, in one transaction with whatever made it judgeable."""

    window: Window
    run_id: int
    facts: WindowFacts
    rules: list[AlertRuleConfig]
    route: bool = True  # False: old news (older than a window already judged); nothing is sent
    rejudge: bool = False  # judged before on earlier metrics (monitor.alerting.rejudge)
    details: dict[str, Any] = field(default_factory=dict)  # recorded with each metric transition
    run_url: str | None = None  # default: the run's page under the configured public URL


def ready_windows(ctx: AlertContext, *, running: Window | None = None) -> list[JudgedWindow]:
    """The windows the monitor's metric rules judge now, oldest first, each with the rules judging
    it; moves each rule's cursor past what it judged or passed over. Call with the monitor locked.

    A rule seen for the first time starts with the windows still within the label horizon; on a new
    monitor, with its first window (`running`, as when its history is backfilled with the labels);
    on a monitor without labels, with the window being run. Older windows are old news."""
    metric_rules = [r for r in ctx.rules if not judged_at_run(r)]
    if not metric_rules:
        return []
    # Maturity is judged in the label stream's data time, so a replay of history judges as live did.
    session, monitor_id, now = ctx.session, ctx.monitor_id, ctx.label_time or ctx.now
    labels = ctx.config.monitors[ctx.monitor].labels
    horizon = labels.horizon if labels is not None else None
    # An unready window gets one more look at its labels before newer ready windows pass it by.
    grace = labels.recompute_every if labels is not None else timedelta(0)
    names = [r.name for r in metric_rules]
    cursors = repo.cursors(session=session, monitor_id=monitor_id, rules=names)
    if len(cursors) < len(names):
        if horizon is None:  # no labels: nothing comes late, a window is judged when it runs
            start = running.start if running is not None else now
        else:
            start = now - horizon
            first = repo.first_window_start(session=session, monitor_id=monitor_id)
            if running is not None and (first is None or running.start <= first):
                start = min(start, running.start)  # a new monitor's first window: its history is news
        missing = [n for n in names if n not in cursors]
        repo.start_cursors(session=session, monitor_id=monitor_id, rules=missing, start=start, now=now)
        cursors = repo.cursors(session=session, monitor_id=monitor_id, rules=names)
    # Windows judged already may still get new metric versions until their horizon ends.
    reach = min(cursors.values()) if horizon is None else min(*cursors.values(), now - horizon - grace)
    pending = repo.pending_windows(session=session, monitor_id=monitor_id, after=reach, horizon=horizon)
    judging: dict[int, list[AlertRuleConfig]] = {}
    again = _rejudging(ctx, metric_rules, pending, cursors, now=now)
    for rule in metric_rules:
        mine = [w for w in pending if w.end > cursors[rule.name]]
        plan = plan_judgements(mine, rule.label_coverage_needed, now=now, grace=grace)
        for window, verdict in plan:
            _log_verdict(ctx.monitor, rule, window, verdict)
            if verdict == "judge":
                judging.setdefault(window.run_id, []).append(rule)
        if plan:
            repo.move_cursor(
                session=session, monitor_id=monitor_id, rule=rule.name, through=plan[-1][0].end, now=now
            )
    found = [_judged(session, w, judging[w.run_id], now=now) for w in pending if w.run_id in judging]
    found += [
        _judged(session, w, again[w.run_id], now=now, rejudge=True) for w in pending if w.run_id in again
    ]
    return sorted(found, key=lambda j: (j.window.end, j.window.start, not j.rejudge))


def _rejudging(
    ctx: AlertContext,
    rules: list[AlertRuleConfig],
    pending: list[PendingWindow],
    cursors: dict[str, datetime],
    *,
    now: datetime,
) -> dict[int, list[AlertRuleConfig]]:
    """Windows each rule judged on metrics that have a newer version by now, ready to judge."""
    judged = judgements.judged_versions(
        session=ctx.session,
        monitor_id=ctx.monitor_id,
        rules=[r.name for r in rules],
        run_ids=[w.run_id for w in pending if w.versions],
    )
    again: dict[int, list[AlertRuleConfig]] = {}
    for rule in rules:
        for window in pending:
            if window.end > cursors[rule.name] or not window.versions:
                continue
            seen = judged.get((rule.name, window.run_id))
            newer = seen is not None and window.versions[-1].version > seen
            if newer and ready_since(window, rule.label_coverage_needed) <= now:
                again.setdefault(window.run_id, []).append(rule)
    return again


def _log_verdict(monitor: str, rule: AlertRuleConfig, window: PendingWindow, verdict: str) -> None:
    label, needed = Window(window.start, window.end).label(), rule.label_coverage_needed
    if verdict != "judge":
        logger.info(
            "%s: rule %s passes over window %s: its labels stayed below %.0f%% while newer "
            "windows were ready",
            monitor,
            rule.name,
            label,
            needed * 100,
        )
        return
    coverage = window.versions[-1].coverage if window.versions else None
    if coverage is not None and coverage < needed:
        logger.info(
            "%s: rule %s judges window %s on its final metrics, %.0f%% labelled",
            monitor,
            rule.name,
            label,
            coverage * 100,
        )


def _judged(
    session: Session,
    window: PendingWindow,
    rules: list[AlertRuleConfig],
    *,
    now: datetime,
    rejudge: bool = False,
) -> JudgedWindow:
    latest = window.versions[-1] if window.versions else None
    coverage = None if latest is None else latest.coverage
    details: dict[str, Any] = {
        "metrics_version": None if latest is None else latest.version,
        "label_coverage": coverage,
        # Later labels may still change the verdict: the window is within its horizon, partly labelled.
        "provisional": coverage is not None and coverage < 1 and window.final_at > now,
    }
    return JudgedWindow(
        Window(window.start, window.end),
        window.run_id,
        repo.stored_facts(session=session, run_id=window.run_id),
        rules,
        details=details,
        rejudge=rejudge,
    )
