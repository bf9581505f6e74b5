"""A channel that writes alerts to the service log: the minimum, and handy in development."""

from __future__ import annotations

import logging
from typing import Any

from monitor.notify.base import Delivery, Notification, register

logger = logging.getLogger("monitor.alerts")


class LogNotifier:
    def __init__(self, level: str = "WARNING") -> None:
        self.level = logging.getLevelName(level)

    def send(self, notification: Notification, *, idempotency_key: str) -> Delivery:
        n = notification
        logger.log(
            self.level,
            "[%s] %s/%s %s %s window %s..%s: %s",
            n.status.upper(),
            n.monitor,
            n.rule,
            n.severity,
            n.model,
            n.window_start,
            n.window_end,
            n.summary,
        )
        return Delivery(ok=True)


def _build(config: Any) -> LogNotifier:
    return LogNotifier(config.level)


register("log", _build)
