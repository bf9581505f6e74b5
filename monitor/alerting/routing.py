"""From alert states to outbox rows, as Alertmanager routes, in stages: silences mute (and the muting
is recorded), alerts of one monitor sharing the channel's `group_by` labels make one group, a group
is told again only when something new fires, something it knew resolves, or `repeat_interval`
passed (dedup against the group's notification log), and what is to be told is enqueued; then the
rules' actions (monitor.alerting.actions). Runs in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.alerting.actions import request_actions
from monitor.alerting.context import AlertContext
from monitor.alerting.items import alert_item, drifted_features, idempotency_key, severity_order
from monitor.alerting.lifecycle import Advance
from monitor.alerting.ready import JudgedWindow
from monitor.config import ActionChannelConfig, ChannelConfig
from monitor.notify.messages import AlertGroupMessage, to_payload
from monitor.rules import GroupLog, WindowFacts, group_key, group_labels, notification_reason, silenced_by
from monitor.store import alerts as repo
from monitor.store import outbox
from monitor.store.tables import AlertGroupRow, AlertRow

Muted = dict[str, list[int]]  # fingerprint -> ids of the silences muting it


@dataclass(frozen=True)
class Group:
    """Alerts of one channel that share its `group_by` labels: they are told in one message."""

    channel: str
    settings: ChannelConfig
    key: str
    labels: dict[str, str]
    alerts: list[AlertRow]


def route_notifications(
    ctx: AlertContext, item: JudgedWindow, alerts: dict[str, AlertRow], advance: Advance
) -> None:
    muted = silence(ctx, item, alerts, advance)
    logs = repo.group_logs(session=ctx.session, monitor_id=ctx.monitor_id)
    for group in groups(ctx, alerts):
        notify_group(ctx, item, advance.facts, group, logs.get((group.channel, group.key)), muted)
    request_actions(ctx, item, advance, alerts, muted)


def silence(ctx: AlertContext, item: JudgedWindow, alerts: dict[str, AlertRow], advance: Advance) -> Muted:
    """Which alerts active silences mute; a muted transition is recorded as silenced."""
    silences = repo.active_silences(session=ctx.session, now=ctx.now)
    muted: Muted = {}
    for key, alert in alerts.items():
        ids = silenced_by(ctx.routing_labels(alert.labels, alert.severity), silences, ctx.now)
        if ids:
            muted[key] = ids
    for key, transition in advance.transitions.items():
        if key in muted and transition in ("fired", "resolved"):
            repo.add_event(
                session=ctx.session,
                alert=alerts[key],
                event="silenced",
                now=ctx.now,
                window_end=item.window.end,
                details={"silences": muted[key], "transition": transition},
            )
    return muted


def groups(ctx: AlertContext, alerts: dict[str, AlertRow]) -> list[Group]:
    """Per notifying channel of the rules, its firing and resolved alerts grouped by `group_by`."""
    by_rule = {r.name: r for r in ctx.rules}
    found: list[Group] = []
    for channel in dict.fromkeys(c for r in ctx.rules for c in r.notify):
        settings = ctx.config.notifiers.get(channel)
        if settings is None or isinstance(settings, ActionChannelConfig):
            continue
        grouped: dict[str, Group] = {}
        for alert in alerts.values():
            rule = by_rule.get(alert.rule)
            if rule is None or channel not in rule.notify or alert.state not in ("firing", "resolved"):
                continue
            labels = group_labels(ctx.routing_labels(alert.labels, alert.severity), settings.group_by)
            key = group_key(ctx.monitor, channel, labels)
            grouped.setdefault(key, Group(channel, settings, key, labels, [])).alerts.append(alert)
        found += grouped.values()
    return found


def notify_group(
    ctx: AlertContext,
    item: JudgedWindow,
    facts: WindowFacts,
    group: Group,
    log_row: AlertGroupRow | None,
    muted: Muted,
) -> None:
    """Dedup against what the channel was told of the group, then enqueue the message if one is due."""
    firing = {a.fingerprint for a in group.alerts if a.state == "firing" and a.fingerprint not in muted}
    resolved = {a.fingerprint for a in group.alerts if a.state == "resolved" and a.fingerprint not in muted}
    log = None if log_row is None else GroupLog(frozenset(log_row.firing or ()), log_row.last_notified_at)
    reason = notification_reason(
        log,
        firing,
        resolved,
        send_resolved=group.settings.send_resolved,
        repeat_interval=group.settings.repeat_interval,
        now=ctx.now,
    )
    if log_row is None:
        if reason is None:
            return
        log_row = repo.add_group_log(
            ctx.session, monitor_id=ctx.monitor_id, channel=group.channel, key=group.key, labels=group.labels
        )
    if reason is not None:
        told = set(log_row.firing or ())
        firing_alerts = sorted((a for a in group.alerts if a.fingerprint in firing), key=severity_order)
        resolved_alerts = sorted(
            (a for a in group.alerts if a.fingerprint in resolved & told), key=severity_order
        )
        message = AlertGroupMessage(
            monitor=ctx.monitor,
            model=ctx.model,
            status="firing" if firing_alerts else "resolved",
            reason=reason,
            window_start=item.window.start.isoformat(),
            window_end=item.window.end.isoformat(),
            group=group.labels,
            firing=tuple(alert_item(a) for a in firing_alerts),
            resolved=tuple(alert_item(a) for a in resolved_alerts),
            drifted_features=drifted_features(facts) if firing_alerts else (),
            metrics=dict(facts.metrics),
            report_url=item.run_url or ctx.run_url(item.run_id),
            alerts_url=ctx.alerts_url(),
            daily_report_url=ctx.daily_report_url(item.window),
        )
        _enqueue_group(ctx, item, group, log_row, message, reason, [*firing_alerts, *resolved_alerts])
    log_row.firing = sorted(firing)


def _enqueue_group(
    ctx: AlertContext,
    item: JudgedWindow,
    group: Group,
    log_row: AlertGroupRow,
    message: AlertGroupMessage,
    reason: str,
    included: list[AlertRow],
) -> None:
    number = log_row.notifications + 1
    key = idempotency_key("alert", ctx.monitor, group.channel, group.key, item.window.end, number)
    outbox.enqueue(
        ctx.session,
        channel=group.channel,
        kind="alert",
        key=key,
        payload=to_payload(message),
        alert_id=included[0].id if included else None,
        now=ctx.now,
        max_age=ctx.config.alerting.delivery_max_age,
        ordering_key=idempotency_key("group", ctx.monitor, group.channel, group.key),
    )
    log_row.last_notified_at, log_row.notifications = ctx.now, number
    for alert in included:
        repo.add_event(
            session=ctx.session,
            alert=alert,
            event="notified",
            now=ctx.now,
            window_end=item.window.end,
            details={"channel": group.channel, "reason": reason, "idempotency_key": key},
        )
