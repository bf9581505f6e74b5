"""Turns a window's facts into alert state changes and their history, inside the run's transaction,
then hands the monitor's alerts to routing (grouping, silences, outbox rows, retraining).

Most rules judge a window when it is run. Metric rules judge it when its labels are known
(monitor.late_metrics): in the run's transaction when they already are, else in the transaction that
records the late labels (monitor.labelled). Either way each window is judged once per rule, in window
order, and the alerts judged on one window are routed together.

Everything here is written in the run's transaction: the results, the alert changes and the
outbox rows commit together or not at all, so a notification is never lost and never announces a
result that was rolled back. Delivery happens after commit (monitor.notify.outbox).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from monitor import late_metrics
from monitor.alert_routing import route_notifications
from monitor.config import AlertRuleConfig, Config
from monitor.drift import DatasetDrift
from monitor.late_metrics import JudgedWindow, judged_at_run
from monitor.metrics import MetricValue
from monitor.rules import (
    AlertState,
    BaselineSpec,
    RuleSpec,
    TestFact,
    Transition,
    WindowFacts,
    evaluate_rule,
    fingerprint,
    observe,
)
from monitor.store import alert_repository as repo
from monitor.store.repository import from_db, to_db
from monitor.store.tables import AlertRow
from monitor.windows import Window

_UNJUDGED_SCHEMA = {"missing_in_current", "missing_in_reference"}


def rule_spec(rule: AlertRuleConfig) -> RuleSpec:
    baseline = None
    if rule.baseline is not None:
        b = rule.baseline
        baseline = BaselineSpec(b.windows, b.start, b.end, b.max_drop, b.max_rise, b.relative, b.min_windows)
    return RuleSpec(
        name=rule.name,
        signal=rule.signal,
        threshold=rule.threshold,
        op=rule.op,
        for_windows=rule.for_,
        keep_firing_for=rule.keep_firing_for,
        severity=rule.severity,
        metric=rule.metric,
        column=rule.column,
        test=rule.test,
        check=rule.check,
        baseline=baseline,
        labels=rule.labels,
        notify=tuple(rule.notify),
        action=rule.action,
    )


def window_facts(
    drift: DatasetDrift,
    metrics: Sequence[MetricValue],
    row_count: int,
    *,
    window: Window,
    quality: Mapping[str, Mapping[str, float | None]] | None = None,
) -> WindowFacts:
    """What rules see of one window. `quality` adds data-quality findings to those read off the
    drift engine (missing share per column, schema change per column, no rows)."""
    tests: dict[str, dict[str, TestFact]] = {}
    schema: dict[str, float | None] = {}
    for r in drift.results:
        tests.setdefault(r.column, {})[r.test] = TestFact(
            r.statistic, r.p_value, r.threshold, r.drifted, str(r.status), by_p_value=r.p_value is not None
        )
        changed = str(r.status) in _UNJUDGED_SCHEMA
        schema[r.column] = 1.0 if changed or schema.get(r.column) == 1.0 else 0.0
    missing: dict[str, float | None] = {}
    for c in drift.columns:
        total = c.current_missing + c.current_count
        missing[c.column] = c.current_missing / total if total else None
    judged = any(str(r.status) == "ok" for r in drift.results)
    found: dict[str, Mapping[str, float | None]] = {
        "no_rows": {"": 1.0 if row_count == 0 else 0.0},
        "missing_share": missing,
        "schema_change": schema,
        **(quality or {}),
    }
    return WindowFacts(
        drift_share=drift.drift_share if judged else None,
        drifted_columns=drift.drifted_columns,
        judged_columns=tuple(sorted({r.column for r in drift.results if str(r.status) == "ok"})),
        metrics={m.metric: m.value for m in metrics},
        row_count=row_count,
        column_tests=tests,
        quality=found,
        window_start=window.start,
    )


def apply_rules(
    *,
    session: Session,
    monitor: str,
    model: str,
    monitor_id: int,
    run_id: int,
    window: Window,
    rules: list[AlertRuleConfig],
    facts: WindowFacts,
    run_url: str,
    now: datetime,
    config: Config | None = None,
) -> list[str]:
    """Advance every alert of the monitor by this run's window and queue the notifications it calls
    for: the rules judged at run time on this window, and the metric rules on every window whose
    labels are now known (this one included, as when old data is backfilled with its labels).
    Returns the names of the alerts that fired; those of other windows name their window."""
    config = config or Config()
    repo.lock_monitor(session=session, monitor_id=monitor_id)
    alerts = repo.monitor_alerts(session=session, monitor_id=monitor_id)
    # A window older than one already evaluated (a recompute, a late backfill) must not rewind
    # alerts nor send anything: its news is old.
    latest = max((from_db(a.last_window_end) for a in alerts.values() if a.last_window_end), default=None)
    stale = latest is not None and latest >= window.end
    here = JudgedWindow(
        window, run_id, facts, [r for r in rules if judged_at_run(r)], route=not stale, run_url=run_url
    )
    late = late_metrics.ready_windows(
        session=session,
        config=config,
        monitor=monitor,
        monitor_id=monitor_id,
        rules=rules,
        now=now,
        running=window,
    )
    judged: list[JudgedWindow] = []
    for found in late:
        if found.run_id == run_id:
            here.rules += found.rules
            here.route = here.route or bool(found.rules)
            here.details = found.details
        else:
            judged.append(found)
    judged.append(here)
    judged.sort(key=lambda j: (j.window.end, j.window.start))
    return judge_windows(
        session=session,
        config=config,
        monitor=monitor,
        model=model,
        monitor_id=monitor_id,
        rules=rules,
        judged=judged,
        alerts=alerts,
        now=now,
        here=window,
    )


def judge_late_metrics(
    *,
    session: Session,
    config: Config,
    monitor: str,
    model: str,
    monitor_id: int,
    now: datetime,
) -> list[str]:
    """The metric rules on every window whose labels are known by now (called as late labels are
    recorded, in their transaction). Returns the alerts that fired, each with its window."""
    rules = config.monitors[monitor].alerts
    if all(judged_at_run(r) for r in rules):
        return []
    repo.lock_monitor(session=session, monitor_id=monitor_id)
    judged = late_metrics.ready_windows(
        session=session, config=config, monitor=monitor, monitor_id=monitor_id, rules=rules, now=now
    )
    if not judged:
        return []
    alerts = repo.monitor_alerts(session=session, monitor_id=monitor_id)
    return judge_windows(
        session=session,
        config=config,
        monitor=monitor,
        model=model,
        monitor_id=monitor_id,
        rules=rules,
        judged=judged,
        alerts=alerts,
        now=now,
    )


def judge_windows(
    *,
    session: Session,
    config: Config,
    monitor: str,
    model: str,
    monitor_id: int,
    rules: list[AlertRuleConfig],
    judged: list[JudgedWindow],
    alerts: dict[str, AlertRow],
    now: datetime,
    here: Window | None = None,
) -> list[str]:
    """Each window in order: its rules advance their alerts, then routing sees all the monitor's
    alerts (every rule's), so alerts firing in one window make one message per group."""
    fired: list[str] = []
    for item in judged:
        if not item.rules and not item.route:
            continue
        names, transitions, facts = advance_alerts(
            session=session,
            monitor=monitor,
            monitor_id=monitor_id,
            item=item,
            alerts=alerts,
            now=now,
        )
        fired += names if item.window == here else [f"{n} (window {item.window.label()})" for n in names]
        if item.route:
            route_notifications(
                session=session,
                config=config,
                monitor=monitor,
                model=model,
                monitor_id=monitor_id,
                window=item.window,
                rules=rules,
                alerts=alerts,
                transitions=transitions,
                facts=facts,
                run_url=item.run_url or f"{config.public_url()}/runs/{item.run_id}",
                now=now,
            )
    return fired


def advance_alerts(
    *,
    session: Session,
    monitor: str,
    monitor_id: int,
    item: JudgedWindow,
    alerts: dict[str, AlertRow],
    now: datetime,
) -> tuple[list[str], dict[str, Transition], WindowFacts]:
    """Moves the alerts of `item.rules` by one window. Returns the alerts that fired, every
    transition by fingerprint, and the facts as the rules saw them."""
    window, run_id, facts = item.window, item.run_id, item.facts
    baseline_metrics = sorted({r.metric for r in item.rules if r.baseline is not None and r.metric})
    if baseline_metrics:
        history = repo.metric_history(
            session=session, monitor_id=monitor_id, metrics=baseline_metrics, before=window.start
        )
        facts = replace(facts, metric_history=history, window_start=window.start)
    fired: list[str] = []
    transitions: dict[str, Transition] = {}
    for rule in item.rules:
        spec = rule_spec(rule)
        for observation in observe(spec, facts):
            key = fingerprint(monitor, spec.name, observation.labels)
            row = alerts.get(key)
            if (
                row is not None
                and row.last_window_end is not None
                and from_db(row.last_window_end) >= window.end
            ):
                continue
            if observation.breached is None:
                continue  # no value in this window says nothing about the alert: leave it as it was
            previous = AlertState() if row is None else AlertState(row.state, row.breaches, row.clears)  # type: ignore[arg-type]
            result = evaluate_rule(spec, observation.breached, previous)
            if row is None:
                if result.state == "inactive":
                    continue  # a series that never breached needs no row
                row = AlertRow(
                    monitor_id=monitor_id,
                    fingerprint=key,
                    rule=spec.name,
                    labels=dict(observation.labels),
                    started_at=to_db(now),
                )
                session.add(row)
                alerts[key] = row
            if previous.state in ("inactive", "resolved") and result.state in ("pending", "firing"):
                row.started_at, row.fired_at, row.resolved_at = to_db(now), None, None
            row.state, row.breaches, row.clears = result.state, result.breaches, result.clears
            row.value, row.summary, row.severity = observation.value, observation.summary, spec.severity
            row.threshold = observation.threshold if observation.threshold is not None else row.threshold
            row.last_run_id, row.last_window_end, row.updated_at = run_id, to_db(window.end), to_db(now)
            if result.transition is None:
                continue
            if result.transition == "fired":
                row.fired_at = to_db(now)
                fired.append(
                    " ".join([spec.name, *(f"{k}={v}" for k, v in observation.labels.items() if k != "rule")])
                )
            elif result.transition == "resolved":
                row.resolved_at = to_db(now)
            session.flush()
            repo.add_event(
                session=session,
                alert=row,
                event=result.transition,
                now=now,
                run_id=run_id,
                window_end=window.end,
                details=item.details if not judged_at_run(rule) else None,
            )
            transitions[key] = result.transition
    session.flush()
    return fired, transitions, facts
