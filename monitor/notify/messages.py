"""What notifiers are given: plain, JSON-friendly dataclasses, stored as the outbox row's payload.

Four kinds: a group of alerts (one message per channel, monitor, window and group), a retraining
request, a rollback or promotion request, and a test message. `to_payload` is what the webhook
channels POST, so its keys are a documented contract (docs/alerting.md); add keys, never rename them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class AlertItem:
    fingerprint: str
    rule: str
    status: str  # firing, resolved
    severity: str
    labels: Mapping[str, str]
    value: float | None
    threshold: float | None
    summary: str
    started_at: str | None = None
    fired_at: str | None = None
    resolved_at: str | None = None


@dataclass(frozen=True)
class FeatureDrift:
    column: str
    test: str
    statistic: float | None
    p_value: float | None
    threshold: float


@dataclass(frozen=True)
class AlertGroupMessage:
    monitor: str
    model: str
    status: str  # firing (something fires), resolved (everything told as firing has resolved)
    reason: str  # firing (new alerts), resolved, repeat
    window_start: str
    window_end: str
    group: Mapping[str, str]
    firing: tuple[AlertItem, ...]
    resolved: tuple[AlertItem, ...] = ()
    drifted_features: tuple[FeatureDrift, ...] = ()
    metrics: Mapping[str, float | None] = field(default_factory=dict)
    report_url: str | None = None
    alerts_url: str | None = None
    # The daily drift report of the window's day (when reports are on); written once the day is over.
    daily_report_url: str | None = None
    kind: str = "alert_group"


@dataclass(frozen=True)
class RetrainRequest:
    model: str
    monitor: str
    reason: str
    window_start: str
    window_end: str
    drifted_features: tuple[FeatureDrift, ...]
    metrics: Mapping[str, float | None]
    report_url: str | None
    alerts: tuple[AlertItem, ...]
    requested_at: str
    kind: str = "retrain"


@dataclass(frozen=True)
class ActionRequest(RetrainRequest):
    """A rollback or a promotion: what a retraining request says, plus the action, the labels all its
    alerts share (a `segment` such as model_version=v4), and the serving version they name, if any
    (`model_version`: every payload's `version` is the payload format's)."""

    action: str = "rollback"  # rollback, promote
    labels: Mapping[str, str] = field(default_factory=dict)
    model_version: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", self.action)


@dataclass(frozen=True)
class TestMessage:
    __test__ = False  # not a pytest class

    channel: str
    text: str
    sent_at: str
    kind: str = "test"


Message = AlertGroupMessage | RetrainRequest | ActionRequest | TestMessage
ACTION_KINDS = ("rollback", "promote")


def to_payload(message: Message) -> dict[str, Any]:
    """The JSON body of a message; tuples become lists, and `version` lets receivers evolve."""
    data = asdict(message)
    if isinstance(message, RetrainRequest | AlertGroupMessage):
        data["window"] = {"start": data.pop("window_start"), "end": data.pop("window_end")}
    return {"version": PAYLOAD_VERSION, **data}


def from_payload(payload: Mapping[str, Any]) -> Message:
    data = {k: v for k, v in payload.items() if k != "version"}
    kind = data.get("kind")
    if "window" in data:
        window = data.pop("window")
        data["window_start"], data["window_end"] = window["start"], window["end"]
    if kind == "test":
        return TestMessage(**data)
    features = tuple(FeatureDrift(**f) for f in data.pop("drifted_features", ()))
    if kind == "retrain" or kind in ACTION_KINDS:
        alerts = tuple(AlertItem(**a) for a in data.pop("alerts", ()))
        made = RetrainRequest if kind == "retrain" else ActionRequest
        return made(**data, drifted_features=features, alerts=alerts)
    if kind == "alert_group":
        firing = tuple(AlertItem(**a) for a in data.pop("firing", ()))
        resolved = tuple(AlertItem(**a) for a in data.pop("resolved", ()))
        return AlertGroupMessage(**data, firing=firing, resolved=resolved, drifted_features=features)
    raise ValueError(f"unknown message kind {kind!r}")


def headline(message: Message) -> str:
    """One line saying what the message is about, for logs, fallbacks and test output."""
    if isinstance(message, TestMessage):
        return message.text
    if isinstance(message, ActionRequest):
        version = f" version {message.model_version}" if message.model_version else ""
        return (
            f"{message.action} requested for {message.model}{version} ({message.monitor}): {message.reason}"
        )
    if isinstance(message, RetrainRequest):
        return f"retraining requested for {message.model} ({message.monitor}): {message.reason}"
    if message.status == "resolved":
        return f"[RESOLVED] {message.monitor} ({message.model}): {len(message.resolved)} alert(s) resolved"
    rules = sorted({a.rule for a in message.firing})
    return f"[FIRING:{len(message.firing)}] {message.monitor} ({message.model}): {', '.join(rules)}" + (
        f"; {len(message.resolved)} resolved" if message.resolved else ""
    )
