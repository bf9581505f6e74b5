"""The notifier interface and its registry. Notifiers get plain data, never ORM rows or sessions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Notification:
    """One message about one alert change, as stored in the outbox payload."""

    monitor: str
    model: str
    rule: str
    status: str  # firing, resolved
    severity: str
    summary: str
    value: float | None
    threshold: float
    window_start: str
    window_end: str
    labels: Mapping[str, str] = field(default_factory=dict)
    drifted_columns: tuple[str, ...] = ()
    run_url: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "model": self.model,
            "rule": self.rule,
            "status": self.status,
            "severity": self.severity,
            "summary": self.summary,
            "value": self.value,
            "threshold": self.threshold,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "labels": dict(self.labels),
            "drifted_columns": list(self.drifted_columns),
            "run_url": self.run_url,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Notification:
        data = dict(payload)
        data["drifted_columns"] = tuple(data.get("drifted_columns") or ())
        return cls(**data)


@dataclass(frozen=True)
class Delivery:
    ok: bool
    retryable: bool = False
    error: str | None = None


class Notifier(Protocol):
    def send(self, notification: Notification, *, idempotency_key: str) -> Delivery: ...


NotifierFactory = Callable[[Any], Notifier]
_REGISTRY: dict[str, NotifierFactory] = {}


def register(kind: str, factory: NotifierFactory) -> None:
    _REGISTRY[kind] = factory


def build_notifiers(configs: Mapping[str, Any]) -> dict[str, Notifier]:
    from monitor.notify import log  # noqa: F401  (registers the built-in channels)

    return {name: _REGISTRY[cfg.type](cfg) for name, cfg in configs.items()}
