"""Turns a window's facts into alert state changes and outbox rows, inside the run's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import AlertRuleConfig
from monitor.notify import Notification
from monitor.rules import AlertState, RuleSpec, WindowFacts, evaluate_rule, fingerprint, observe
from monitor.store.repository import from_db, to_db
from monitor.store.tables import AlertRow, OutboxRow
from monitor.windows import Window


def rule_spec(rule: AlertRuleConfig) -> RuleSpec:
    return RuleSpec(
        name=rule.name,
        signal=rule.signal,
        threshold=rule.threshold,
        op=rule.op,
        for_windows=rule.for_,
        severity=rule.severity,
        metric=rule.metric,
        column=rule.column,
        labels=rule.labels,
        notify=tuple(rule.notify),
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
) -> list[str]:
    """Advance every alert of the monitor by this window; returns the names of alerts that fired."""
    fired: list[str] = []
    for rule in rules:
        spec = rule_spec(rule)
        for labels, value in observe(spec, facts):
            key = fingerprint(monitor, spec.name, labels)
            row = session.scalar(
                select(AlertRow).where(AlertRow.monitor_id == monitor_id, AlertRow.fingerprint == key)
            )
            if (
                row is not None
                and row.last_window_end is not None
                and from_db(row.last_window_end) >= window.end
            ):
                continue  # a recomputed past window must not rewind an alert's history
            if value is None:
                continue  # no data in this window says nothing about the alert: leave it as it was
            previous = AlertState() if row is None else AlertState(row.state, row.breaches)  # type: ignore[arg-type]
            result = evaluate_rule(spec, labels, value, previous)
            if row is None:
                if result.state == "inactive":
                    continue  # a series that never breached needs no row
                row = AlertRow(
                    monitor_id=monitor_id,
                    fingerprint=key,
                    rule=spec.name,
                    labels=dict(labels),
                    severity=spec.severity,
                    threshold=spec.threshold,
                    started_at=to_db(now),
                )
                session.add(row)
            if previous.state in ("inactive", "resolved") and result.state in ("pending", "firing"):
                row.started_at, row.resolved_at = to_db(now), None
            row.state, row.breaches, row.value, row.summary = (
                result.state,
                result.breaches,
                result.value,
                result.summary,
            )
            row.last_run_id, row.last_window_end, row.updated_at = run_id, to_db(window.end), to_db(now)
            row.severity, row.threshold = spec.severity, spec.threshold
            if result.transition is None:
                continue
            if result.transition == "fired":
                row.fired_at = to_db(now)
                fired.append(" ".join([spec.name, *(f"{k}={v}" for k, v in labels.items() if k != "rule")]))
            else:
                row.resolved_at = to_db(now)
            session.flush()
            notification = Notification(
                monitor=monitor,
                model=model,
                rule=spec.name,
                status="firing" if result.transition == "fired" else "resolved",
                severity=spec.severity,
                summary=result.summary,
                value=result.value,
                threshold=spec.threshold,
                window_start=window.start.isoformat(),
                window_end=window.end.isoformat(),
                labels=dict(labels),
                drifted_columns=facts.drifted_columns,
                run_url=run_url,
            )
            for channel in spec.notify:
                session.add(
                    OutboxRow(
                        channel=channel,
                        alert_id=row.id,
                        idempotency_key=f"{key[:16]}:{result.transition}:{window.end.isoformat()}:{channel}",
                        payload=notification.to_payload(),
                        status="pending",
                        attempts=0,
                        next_attempt_at=to_db(now),
                        created_at=to_db(now),
                    )
                )
    return fired
