"""Retraining requests: one per retrain channel for the alerts that fired in a window with
`action: retrain`, if the model's cooldown on that channel has passed; else the refusal is recorded."""

from __future__ import annotations

from typing import Any

from monitor.alerting.context import AlertContext
from monitor.alerting.items import alert_item, drifted_features, idempotency_key, severity_order
from monitor.alerting.lifecycle import Advance
from monitor.alerting.ready import JudgedWindow
from monitor.config import RetrainNotifierConfig
from monitor.notify.messages import RetrainRequest, to_payload
from monitor.store import alerts as repo
from monitor.store import outbox
from monitor.store.tables import AlertRow


def request_retraining(
    ctx: AlertContext,
    item: JudgedWindow,
    advance: Advance,
    alerts: dict[str, AlertRow],
    muted: dict[str, list[int]],
) -> None:
    for channel, fired in _fired_by_channel(ctx, advance, alerts, muted).items():
        settings = ctx.config.notifiers[channel]
        assert isinstance(settings, RetrainNotifierConfig)
        fired.sort(key=severity_order)
        key = idempotency_key(
            "retrain", channel, ctx.model, item.window.end, sorted(a.fingerprint for a in fired)
        )
        if repo.take_retrain_slot(
            session=ctx.session,
            channel=channel,
            model=ctx.model,
            now=ctx.now,
            cooldown=settings.cooldown,
            key=key,
        ):
            _enqueue_request(ctx, item, advance, channel, key, fired)
            event = "retrain_requested"
            details: dict[str, Any] = {"channel": channel, "idempotency_key": key}
        else:
            last = repo.last_retrain(session=ctx.session, channel=channel, model=ctx.model)
            until = None if last is None else (last + settings.cooldown).isoformat()
            event, details = "retrain_cooldown", {"channel": channel, "cooldown_until": until}
        for alert in fired:
            repo.add_event(
                session=ctx.session,
                alert=alert,
                event=event,
                now=ctx.now,
                window_end=item.window.end,
                details=details,
            )


def _fired_by_channel(
    ctx: AlertContext, advance: Advance, alerts: dict[str, AlertRow], muted: dict[str, list[int]]
) -> dict[str, list[AlertRow]]:
    """The unmuted alerts that fired in this window, by the retrain channel of their rule."""
    by_channel: dict[str, list[AlertRow]] = {}
    for rule in ctx.rules:
        channel = ctx.config.retrain_channel(rule)
        if channel is None:
            continue
        for key, transition in advance.transitions.items():
            alert = alerts[key]
            if transition == "fired" and alert.rule == rule.name and key not in muted:
                by_channel.setdefault(channel, []).append(alert)
    return by_channel


def _enqueue_request(
    ctx: AlertContext, item: JudgedWindow, advance: Advance, channel: str, key: str, fired: list[AlertRow]
) -> None:
    request = RetrainRequest(
        model=ctx.model,
        monitor=ctx.monitor,
        reason="; ".join(f"{a.rule}: {a.summary}" for a in fired),
        window_start=item.window.start.isoformat(),
        window_end=item.window.end.isoformat(),
        drifted_features=drifted_features(advance.facts),
        metrics=dict(advance.facts.metrics),
        report_url=item.run_url or ctx.run_url(item.run_id),
        alerts=tuple(alert_item(a) for a in fired),
        requested_at=ctx.now.isoformat(),
    )
    outbox.enqueue(
        ctx.session,
        channel=channel,
        kind="retrain",
        key=key,
        payload=to_payload(request),
        alert_id=fired[0].id,
        now=ctx.now,
        max_age=ctx.config.alerting.delivery_max_age,
    )
