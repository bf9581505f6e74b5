"""From alert states to outbox rows, as Alertmanager routes: silences mute (and the muting is
recorded), alerts of one monitor sharing the channel's `group_by` labels make one message, a group
is told again only when something new fires, something it knew resolves, or `repeat_interval`
passed. Retraining requests go out once per cooldown per model. Runs in the run's transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from monitor.config import AlertRuleConfig, ChannelConfig, Config, RetrainNotifierConfig
from monitor.notify.messages import AlertGroupMessage, AlertItem, FeatureDrift, RetrainRequest, to_payload
from monitor.rules import (
    GroupLog,
    Transition,
    WindowFacts,
    group_key,
    group_labels,
    notification_reason,
    silenced_by,
)
from monitor.store import alert_repository as repo
from monitor.store.repository import from_db, to_db
from monitor.store.tables import AlertGroupRow, AlertRow, OutboxRow
from monitor.windows import Window


def routing_labels(alert: AlertRow, monitor: str, model: str) -> dict[str, str]:
    """What silences match and group_by picks from: the alert's labels and who it is about."""
    return {**(alert.labels or {}), "monitor": monitor, "model": model, "severity": alert.severity}


def alert_item(alert: AlertRow) -> AlertItem:
    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else from_db(moment).isoformat()

    return AlertItem(
        fingerprint=alert.fingerprint,
        rule=alert.rule,
        status="firing" if alert.state == "firing" else "resolved",
        severity=alert.severity,
        labels=dict(alert.labels or {}),
        value=alert.value,
        threshold=alert.threshold,
        summary=alert.summary,
        started_at=iso(alert.started_at),
        fired_at=iso(alert.fired_at),
        resolved_at=iso(alert.resolved_at),
    )


def drifted_features(facts: WindowFacts) -> tuple[FeatureDrift, ...]:
    return tuple(
        FeatureDrift(column, test, fact.statistic, fact.p_value, fact.threshold)
        for column, tests in sorted(facts.column_tests.items())
        for test, fact in sorted(tests.items())
        if fact.status == "ok" and fact.drifted
    )


def _key(prefix: str, *parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{prefix}-{digest[:40]}"


def enqueue(
    session: Session,
    *,
    channel: str,
    kind: str,
    key: str,
    payload: dict[str, Any],
    alert_id: int | None,
    now: datetime,
    config: Config,
) -> None:
    session.add(
        OutboxRow(
            channel=channel,
            kind=kind,
            alert_id=alert_id,
            idempotency_key=key,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=to_db(now),
            created_at=to_db(now),
            give_up_at=to_db(now + config.alerting.delivery_max_age),
        )
    )


def route_notifications(
    *,
    session: Session,
    config: Config,
    monitor: str,
    model: str,
    monitor_id: int,
    window: Window,
    rules: Sequence[AlertRuleConfig],
    alerts: Mapping[str, AlertRow],
    transitions: Mapping[str, Transition],
    facts: WindowFacts,
    run_url: str,
    now: datetime,
) -> None:
    by_rule = {r.name: r for r in rules}
    silences = repo.active_silences(session=session, now=now)
    muted: dict[str, list[int]] = {}
    for key, alert in alerts.items():
        ids = silenced_by(routing_labels(alert, monitor, model), silences, now)
        if ids:
            muted[key] = ids
    for key, transition in transitions.items():
        if key in muted and transition in ("fired", "resolved"):
            repo.add_event(
                session=session,
                alert=alerts[key],
                event="silenced",
                now=now,
                window_end=window.end,
                details={"silences": muted[key], "transition": transition},
            )
    context = _Context(session, config, monitor, model, monitor_id, window, facts, run_url, now)
    logs = repo.group_logs(session=session, monitor_id=monitor_id)
    channels = list(dict.fromkeys(c for r in rules for c in r.notify))
    for channel in channels:
        settings = config.notifiers.get(channel)
        if settings is None or isinstance(settings, RetrainNotifierConfig):
            continue
        members = [
            a
            for a in alerts.values()
            if a.rule in by_rule and channel in by_rule[a.rule].notify and a.state in ("firing", "resolved")
        ]
        groups: dict[str, tuple[dict[str, str], list[AlertRow]]] = {}
        for alert in members:
            labels = group_labels(routing_labels(alert, monitor, model), settings.group_by)
            groups.setdefault(group_key(monitor, channel, labels), (labels, []))[1].append(alert)
        for gkey, (labels, group) in groups.items():
            context.notify_group(channel, settings, gkey, labels, group, logs.get((channel, gkey)), muted)
    _request_retraining(context, rules, alerts, transitions, muted)


class _Context:
    def __init__(
        self,
        session: Session,
        config: Config,
        monitor: str,
        model: str,
        monitor_id: int,
        window: Window,
        facts: WindowFacts,
        run_url: str,
        now: datetime,
    ) -> None:
        self.session, self.config, self.monitor, self.model = session, config, monitor, model
        self.monitor_id, self.window, self.facts, self.run_url, self.now = (
            monitor_id,
            window,
            facts,
            run_url,
            now,
        )

    def notify_group(
        self,
        channel: str,
        settings: ChannelConfig,
        gkey: str,
        labels: dict[str, str],
        group: list[AlertRow],
        log_row: AlertGroupRow | None,
        muted: Mapping[str, list[int]],
    ) -> None:
        firing = {a.fingerprint for a in group if a.state == "firing" and a.fingerprint not in muted}
        resolved = {a.fingerprint for a in group if a.state == "resolved" and a.fingerprint not in muted}
        log = None
        if log_row is not None:
            last = from_db(log_row.last_notified_at) if log_row.last_notified_at else None
            log = GroupLog(frozenset(log_row.firing or ()), last)
        reason = notification_reason(
            log,
            firing,
            resolved,
            send_resolved=settings.send_resolved,
            repeat_interval=settings.repeat_interval,
            now=self.now,
        )
        if log_row is None:
            if reason is None:
                return
            log_row = AlertGroupRow(
                monitor_id=self.monitor_id,
                channel=channel,
                group_key=gkey,
                labels=labels,
                firing=[],
                notifications=0,
            )
            self.session.add(log_row)
        if reason is not None:
            told = set(log_row.firing or ())
            firing_alerts = sorted((a for a in group if a.fingerprint in firing), key=_order)
            resolved_alerts = sorted((a for a in group if a.fingerprint in resolved & told), key=_order)
            message = AlertGroupMessage(
                monitor=self.monitor,
                model=self.model,
                status="firing" if firing_alerts else "resolved",
                reason=reason,
                window_start=self.window.start.isoformat(),
                window_end=self.window.end.isoformat(),
                group=labels,
                firing=tuple(alert_item(a) for a in firing_alerts),
                resolved=tuple(alert_item(a) for a in resolved_alerts),
                drifted_features=drifted_features(self.facts) if firing_alerts else (),
                metrics=dict(self.facts.metrics),
                report_url=self.run_url,
                alerts_url=f"{self.config.public_url()}/alerts",
            )
            number = log_row.notifications + 1
            key = _key("alert", self.monitor, channel, gkey, self.window.end, number)
            included = [*firing_alerts, *resolved_alerts]
            enqueue(
                self.session,
                channel=channel,
                kind="alert",
                key=key,
                payload=to_payload(message),
                alert_id=included[0].id if included else None,
                now=self.now,
                config=self.config,
            )
            log_row.last_notified_at, log_row.notifications = to_db(self.now), number
            for alert in included:
                repo.add_event(
                    session=self.session,
                    alert=alert,
                    event="notified",
                    now=self.now,
                    window_end=self.window.end,
                    details={"channel": channel, "reason": reason, "idempotency_key": key},
                )
        log_row.firing = sorted(firing)


def _order(alert: AlertRow) -> tuple[int, str, str]:
    rank = {"critical": 0, "warning": 1, "info": 2}.get(alert.severity, 3)
    return rank, alert.rule, json.dumps(alert.labels or {}, sort_keys=True)


def _request_retraining(
    context: _Context,
    rules: Sequence[AlertRuleConfig],
    alerts: Mapping[str, AlertRow],
    transitions: Mapping[str, Transition],
    muted: Mapping[str, list[int]],
) -> None:
    """One request per retrain channel for all the alerts that fired in this window with
    `action: retrain`, if the model's cooldown on that channel has passed; else the refusal is recorded."""
    by_channel: dict[str, list[AlertRow]] = {}
    for rule in rules:
        channel = context.config.retrain_channel(rule)
        if channel is None:
            continue
        for key, transition in transitions.items():
            alert = alerts[key]
            if transition == "fired" and alert.rule == rule.name and key not in muted:
                by_channel.setdefault(channel, []).append(alert)
    for channel, fired in by_channel.items():
        settings = context.config.notifiers[channel]
        assert isinstance(settings, RetrainNotifierConfig)
        fired.sort(key=_order)
        key = _key(
            "retrain", channel, context.model, context.window.end, sorted(a.fingerprint for a in fired)
        )
        session, now = context.session, context.now
        if repo.take_retrain_slot(
            session=session,
            channel=channel,
            model=context.model,
            now=now,
            cooldown=settings.cooldown,
            key=key,
        ):
            request = RetrainRequest(
                model=context.model,
                monitor=context.monitor,
                reason="; ".join(f"{a.rule}: {a.summary}" for a in fired),
                window_start=context.window.start.isoformat(),
                window_end=context.window.end.isoformat(),
                drifted_features=drifted_features(context.facts),
                metrics=dict(context.facts.metrics),
                report_url=context.run_url,
                alerts=tuple(alert_item(a) for a in fired),
                requested_at=now.isoformat(),
            )
            enqueue(
                session,
                channel=channel,
                kind="retrain",
                key=key,
                payload=to_payload(request),
                alert_id=fired[0].id,
                now=now,
                config=context.config,
            )
            event = "retrain_requested"
            details: dict[str, Any] = {"channel": channel, "idempotency_key": key}
        else:
            last = repo.last_retrain(session=session, channel=channel, model=context.model)
            until = None if last is None else (last + settings.cooldown).isoformat()
            event, details = "retrain_cooldown", {"channel": channel, "cooldown_until": until}
        for alert in fired:
            repo.add_event(
                session=session,
                alert=alert,
                event=event,
                now=now,
                window_end=context.window.end,
                details=details,
            )
