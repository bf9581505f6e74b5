"""The notifier interface and its registry. Notifiers get plain data, never ORM rows or sessions.

A channel is one module that calls `register(type, factory)`; `build_notifiers` builds one notifier
per configured name. As Alertmanager's integrations, `send` says whether a failure is worth a retry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from monitor.notify.messages import Message

# Channel modules, imported on first use so each registers itself.
CHANNEL_MODULES = ("log", "slack", "webhook", "retrain", "actions")


@dataclass(frozen=True)
class Delivery:
    ok: bool
    retryable: bool = False
    error: str | None = None  # already redacted: safe to store, log and show
    status_code: int | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait (429 Retry-After)
    # What the channel did, beyond delivering (an action's outcome: "MLflow credit alias champion: 4 -> 3");
    # stored with the attempt, shown with the alert. Like `error`, already redacted.
    detail: str | None = None


class Notifier(Protocol):
    def send(self, message: Message, *, idempotency_key: str) -> Delivery: ...

    def redact(self, text: str) -> str:
        """Removes this channel's secrets (URL, token, key) from a text."""
        ...


NotifierFactory = Callable[[str, Any], Notifier]
_REGISTRY: dict[str, NotifierFactory] = {}


def register(kind: str, factory: NotifierFactory) -> None:
    _REGISTRY[kind] = factory


def _load_channels() -> None:
    for module in CHANNEL_MODULES:
        importlib.import_module(f"monitor.notify.{module}")


def build_notifier(name: str, config: Any) -> Notifier:
    _load_channels()
    return _REGISTRY[config.type](name, config)


def build_notifiers(configs: Mapping[str, Any]) -> dict[str, Notifier]:
    return {name: build_notifier(name, cfg) for name, cfg in configs.items()}
