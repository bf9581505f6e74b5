"""A channel that writes alerts to the service log: the minimum, and handy in development."""

from __future__ import annotations

import logging
from typing import Any

from monitor.notify.base import Delivery, register
from monitor.notify.messages import AlertGroupMessage, Message, headline

logger = logging.getLogger("monitor.alerts")


class LogNotifier:
    def __init__(self, level: str = "WARNING") -> None:
        self.level = logging.getLevelName(level)

    def send(self, message: Message, *, idempotency_key: str) -> Delivery:
        logger.log(self.level, "%s", headline(message))
        if isinstance(message, AlertGroupMessage):
            for alert in (*message.firing, *message.resolved):
                logger.log(
                    self.level,
                    "  [%s] %s %s window %s..%s: %s",
                    alert.status.upper(),
                    alert.rule,
                    alert.severity,
                    message.window_start,
                    message.window_end,
                    alert.summary,
                )
        return Delivery(ok=True)

    def redact(self, text: str) -> str:
        return text


def _build(_name: str, config: Any) -> LogNotifier:
    return LogNotifier(config.level)


register("log", _build)
