"""`retrain`: the webhook that starts a retraining. Always signed; takes retraining requests (and
test messages) only. The per-model cooldown is kept with the alert state (monitor.alerting), where
the request is decided, so two runs cannot both ask."""

from __future__ import annotations

from typing import Any

from monitor.notify.base import register
from monitor.notify.webhook import WebhookNotifier


class RetrainNotifier(WebhookNotifier):
    kinds = frozenset({"retrain", "test"})


def _build(name: str, config: Any) -> RetrainNotifier:
    return RetrainNotifier(
        name, config.url.get_secret_value(), secret=config.secret.get_secret_value(), timeout=config.timeout
    )


register("retrain", _build)
