"""An alert's lifecycle over one window: each rule's observations move its alerts between pending,
firing and resolved, and every transition is recorded in the alert's history."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from monitor.alerting.changes import with_changes
from monitor.alerting.context import AlertContext
from monitor.alerting.facts import rule_spec
from monitor.alerting.ready import JudgedWindow, judged_at_run
from monitor.alerting.verdicts import judged_summary, record_verdict
from monitor.rules import (
    AlertState,
    Evaluation,
    Observation,
    RuleSpec,
    Transition,
    WindowFacts,
    evaluate_rule,
    fingerprint,
    observe,
)
from monitor.store import alerts as repo
from monitor.store.tables import AlertRow


@dataclass
class Advance:
    """What one window did to the monitor's alerts."""

    facts: WindowFacts  # as the rules saw them (with metric history when a rule has a baseline)
    fired: list[str] = field(default_factory=list)  # "rule label=value ..." of each alert that fired
    transitions: dict[str, Transition] = field(default_factory=dict)  # by fingerprint


def judged_facts(ctx: AlertContext, item: JudgedWindow) -> WindowFacts:
    """The window's facts as its rules see them: with the earlier windows' metrics a rule with a
    baseline compares with."""
    baseline_metrics = sorted({r.metric for r in item.rules if r.baseline is not None and r.metric})
    if not baseline_metrics:
        return with_changes(ctx, item, item.facts)
    history = repo.metric_history(
        session=ctx.session, monitor_id=ctx.monitor_id, metrics=baseline_metrics, before=item.window.start
    )
    facts = replace(item.facts, metric_history=history, window_start=item.window.start)
    return with_changes(ctx, item, facts)


def advance_alerts(ctx: AlertContext, item: JudgedWindow, alerts: dict[str, AlertRow]) -> Advance:
    """Moves the alerts of `item.rules` by one window; `alerts` (by fingerprint) gains new rows."""
    facts = judged_facts(ctx, item)
    done = Advance(facts)
    for rule in item.rules:
        spec = rule_spec(rule)
        details = item.details if not judged_at_run(rule) else None
        for observation in observe(spec, facts):
            _observe(ctx, item, spec, observation, alerts, done, details)
    repo.flush(ctx.session)
    return done


def _observe(
    ctx: AlertContext,
    item: JudgedWindow,
    spec: RuleSpec,
    observation: Observation,
    alerts: dict[str, AlertRow],
    done: Advance,
    details: dict[str, object] | None,
) -> None:
    key = fingerprint(ctx.monitor, spec.name, observation.labels)
    row = alerts.get(key)
    if row is not None and row.last_window_end is not None and row.last_window_end >= item.window.end:
        return  # judged on this window or a later one already
    if observation.breached is None:
        return  # no value in this window says nothing about the alert: leave it as it was
    previous = AlertState() if row is None else AlertState(row.state, row.breaches, row.clears)  # type: ignore[arg-type]
    result = evaluate_rule(spec, observation.breached, previous)
    if details is not None:  # a metric rule: its verdict may be revised as later labels come in
        record_verdict(ctx, item, spec, observation, result.alert_state)
    if row is None:
        if result.state == "inactive":
            return  # a series that never breached needs no row
        row = repo.add_alert(
            ctx.session,
            monitor_id=ctx.monitor_id,
            fingerprint=key,
            rule=spec.name,
            labels=observation.labels,
            now=ctx.now,
        )
        alerts[key] = row
    _apply(ctx, item, spec, observation, row, previous, result)
    if result.transition is None:
        return
    if result.transition == "fired":
        done.fired.append(fired_name(spec, observation))
    repo.flush(ctx.session)
    repo.add_event(
        session=ctx.session,
        alert=row,
        event=result.transition,
        now=ctx.now,
        run_id=item.run_id,
        window_end=item.window.end,
        details=details,
    )
    done.transitions[key] = result.transition


def _apply(
    ctx: AlertContext,
    item: JudgedWindow,
    spec: RuleSpec,
    observation: Observation,
    row: AlertRow,
    previous: AlertState,
    result: Evaluation,
) -> None:
    now = ctx.now
    mark_moments(row, item, previous, result.alert_state, result.transition, now=now, since=observation.since)
    row.state, row.breaches, row.clears = result.state, result.breaches, result.clears
    details = item.details if spec.signal == "metric" else None  # what a metric verdict rests on
    row.value, row.severity = observation.value, spec.severity
    row.summary = judged_summary(observation.summary, details)
    row.threshold = observation.threshold if observation.threshold is not None else row.threshold
    row.last_run_id, row.last_window_end, row.updated_at = item.run_id, item.window.end, now


def mark_moments(
    row: AlertRow,
    item: JudgedWindow,
    before: AlertState,
    after: AlertState,
    transition: Transition | None,
    *,
    now: datetime,
    since: tuple[datetime, datetime] | None = None,
) -> None:
    """When the alert started (and on which window: the judged one, or `since` when the signal dates
    the condition's start earlier), fired and resolved, as a transition moves it."""
    if before.state in ("inactive", "resolved") and after.state in ("pending", "firing"):
        row.started_at, row.fired_at, row.resolved_at = now, None, None
        row.since_window_start, row.since_window_end = since or (item.window.start, item.window.end)
    if transition == "fired":
        row.fired_at = now
    elif transition == "resolved":
        row.resolved_at = now


def fired_name(spec: RuleSpec, observation: Observation) -> str:
    """How an alert that fired is named in what a run or a label pass reports: rule label=value ..."""
    labels = (f"{k}={v}" for k, v in observation.labels.items() if k != "rule")
    return " ".join([spec.name, *labels])
