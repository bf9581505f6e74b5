"""Actions of alert rules (`action: retrain | rollback | promote`): when alerts with an action fire in a
window, one request per action channel (per serving version, for a promotion) is enqueued if the
model's cooldown on that channel has passed; else the refusal is recorded. The alerts' history gets
`<action>_requested` (channel, idempotency key, and what is known of the target) or `<action>_cooldown`.
What the channel did is recorded at delivery (monitor.notify.actions), outside this transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.alerting.context import AlertContext
from monitor.alerting.items import alert_item, drifted_features, idempotency_key, severity_order
from monitor.alerting.lifecycle import Advance
from monitor.alerting.ready import JudgedWindow
from monitor.config import ActionChannelConfig, RetrainNotifierConfig
from monitor.notify.messages import ActionRequest, RetrainRequest, to_payload
from monitor.store import alerts as repo
from monitor.store import outbox
from monitor.store.tables import AlertRow


@dataclass(frozen=True)
class _Request:
    """The alerts that make one request: of one channel, and for a promotion of one version."""

    channel: str
    settings: ActionChannelConfig
    version: str | None
    alerts: list[AlertRow]


def action_version(labels: dict[str, str] | None) -> str | None:
    """The serving version an alert is about: its `version` label, else the value of its `segment`
    label (model_version=v4 -> v4); None when it names none."""
    labels = labels or {}
    if labels.get("version"):
        return labels["version"]
    _, equals, value = labels.get("segment", "").partition("=")
    return value if equals and value else None


def request_actions(
    ctx: AlertContext,
    item: JudgedWindow,
    advance: Advance,
    alerts: dict[str, AlertRow],
    muted: dict[str, list[int]],
) -> None:
    for request in _requests(ctx, advance, alerts, muted):
        action = request.settings.type
        request.alerts.sort(key=severity_order)
        fingerprints = sorted(a.fingerprint for a in request.alerts)
        key = idempotency_key(action, request.channel, ctx.model, item.window.end, fingerprints)
        if action == "promote" and request.version is None:
            event = "promote_skipped"
            details: dict[str, Any] = {
                "channel": request.channel,
                "reason": "no `version` or `segment` label names the version to promote",
            }
        elif repo.take_action_slot(
            session=ctx.session,
            channel=request.channel,
            model=ctx.model,
            now=ctx.now,
            cooldown=request.settings.cooldown,
            key=key,
        ):
            _enqueue(ctx, item, advance, request, key)
            event, details = f"{action}_requested", _requested(request, key)
        else:
            last = repo.last_action(session=ctx.session, channel=request.channel, model=ctx.model)
            until = None if last is None else (last + request.settings.cooldown).isoformat()
            event, details = f"{action}_cooldown", {"channel": request.channel, "cooldown_until": until}
        for alert in request.alerts:
            repo.add_event(
                session=ctx.session,
                alert=alert,
                event=event,
                now=ctx.now,
                window_end=item.window.end,
                details=details,
            )


def _requested(request: _Request, key: str) -> dict[str, Any]:
    """An `<action>_requested` event's details: the channel, the key, and what is known of the target."""
    details: dict[str, Any] = {"channel": request.channel, "idempotency_key": key}
    settings = request.settings
    if isinstance(settings, RetrainNotifierConfig):
        return details
    if request.version is not None:
        details["model_version"] = request.version
    if settings.mlflow is not None:
        details["registry"] = f"{settings.mlflow.model_name} alias {settings.mlflow.alias}"
        if settings.type == "promote" and request.version is not None:
            details["target"] = settings.mlflow.registry_version(request.version)
    if settings.dry_run:
        details["dry_run"] = True
    return details


def _requests(
    ctx: AlertContext, advance: Advance, alerts: dict[str, AlertRow], muted: dict[str, list[int]]
) -> list[_Request]:
    """The unmuted alerts that fired in this window, by the action channel of their rule (and, for a
    promotion, by the version they name)."""
    found: dict[tuple[str, str | None], _Request] = {}
    for rule in ctx.rules:
        channel = ctx.config.action_channel(rule)
        if channel is None:
            continue
        settings = ctx.config.notifiers[channel]
        assert isinstance(settings, ActionChannelConfig)
        for key, transition in advance.transitions.items():
            alert = alerts[key]
            if transition != "fired" or alert.rule != rule.name or key in muted:
                continue
            version = action_version(alert.labels)
            group = (channel, version if settings.type == "promote" else None)
            found.setdefault(group, _Request(channel, settings, version, [])).alerts.append(alert)
    return [_with_shared_version(r) for r in found.values()]


def _with_shared_version(request: _Request) -> _Request:
    versions = {action_version(a.labels) for a in request.alerts}
    version = versions.pop() if len(versions) == 1 else None
    return _Request(request.channel, request.settings, version, request.alerts)


def _shared_labels(fired: list[AlertRow]) -> dict[str, str]:
    """The labels every alert of a request has, with the same value."""
    first = dict(fired[0].labels or {})
    return {k: v for k, v in first.items() if all((a.labels or {}).get(k) == v for a in fired[1:])}


def _enqueue(ctx: AlertContext, item: JudgedWindow, advance: Advance, request: _Request, key: str) -> None:
    fired = request.alerts
    common: dict[str, Any] = {
        "model": ctx.model,
        "monitor": ctx.monitor,
        "reason": "; ".join(f"{a.rule}: {a.summary}" for a in fired),
        "window_start": item.window.start.isoformat(),
        "window_end": item.window.end.isoformat(),
        "drifted_features": drifted_features(advance.facts),
        "metrics": dict(advance.facts.metrics),
        "report_url": item.run_url or ctx.run_url(item.run_id),
        "alerts": tuple(alert_item(a) for a in fired),
        "requested_at": ctx.now.isoformat(),
    }
    action = request.settings.type
    message = (
        RetrainRequest(**common)
        if action == "retrain"
        else ActionRequest(
            **common, action=action, labels=_shared_labels(fired), model_version=request.version
        )
    )
    outbox.enqueue(
        ctx.session,
        channel=request.channel,
        kind=action,
        key=key,
        payload=to_payload(message),
        alert_id=fired[0].id,
        now=ctx.now,
        max_age=ctx.config.alerting.delivery_max_age,
    )
