"""The life of one alert, window by window: `for` breaching windows to fire, `keep_firing_for` clear
windows to resolve, as Prometheus does with durations. Pure: state in, state out."""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}

State = Literal["inactive", "pending", "firing", "resolved"]
# What happened to an alert in one window; None: it stayed as it was.
Transition = Literal["pending", "fired", "resolved", "cleared"]


@dataclass(frozen=True)
class BaselineSpec:
    """Mean of the previous `windows` windows with a value, or of the windows inside [start, end)."""

    windows: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    max_drop: float | None = None
    max_rise: float | None = None
    relative: bool = False
    min_windows: int = 1


@dataclass(frozen=True)
class RuleSpec:
    name: str
    signal: str  # drift_share, column_drift, metric, row_count, quality
    threshold: float | None = None  # None: 1.0 for findings, or set by the baseline
    op: str = ">="
    for_windows: int = 1
    keep_firing_for: int = 0
    severity: str = "warning"
    metric: str | None = None
    column: str | None = None
    test: str | None = None
    check: str | None = None
    baseline: BaselineSpec | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    notify: tuple[str, ...] = ()
    action: str | None = None
    per_segment: bool = False  # one alert per segment of the window, labelled `segment`
    # signal metric_change: cusum or page_hinkley, over the "estimated" or "realised" series
    detector: str = "cusum"
    of: str = "estimated"
    direction: str | None = None  # down, up, both; None: the metric getting worse
    allowance: float | None = None

    @property
    def detector_name(self) -> str:
        return "CUSUM" if self.detector == "cusum" else "Page-Hinkley"


@dataclass(frozen=True)
class AlertState:
    state: State = "inactive"
    breaches: int = 0  # consecutive breaching windows
    clears: int = 0  # consecutive clear windows while firing


@dataclass(frozen=True)
class Evaluation:
    state: State
    breaches: int
    clears: int
    transition: Transition | None

    @property
    def alert_state(self) -> AlertState:
        return AlertState(self.state, self.breaches, self.clears)


def fingerprint(monitor: str, rule: str, labels: Mapping[str, str]) -> str:
    key = json.dumps(
        {"monitor": monitor, "rule": rule, "labels": dict(sorted(labels.items()))}, sort_keys=True
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def breached(value: float, op: str, threshold: float) -> bool:
    return OPS[op](value, threshold)


def evaluate_rule(rule: RuleSpec, is_breached: bool | None, previous: AlertState) -> Evaluation:
    """Advance one alert by one window. None (no value in this window) leaves it as it was."""
    if is_breached is None:
        return Evaluation(previous.state, previous.breaches, previous.clears, None)
    if is_breached:
        breaches = previous.breaches + 1
        if previous.state == "firing":
            return Evaluation("firing", breaches, 0, None)
        if breaches >= rule.for_windows:
            return Evaluation("firing", breaches, 0, "fired")
        return Evaluation("pending", breaches, 0, "pending" if previous.state != "pending" else None)
    if previous.state == "firing":
        clears = previous.clears + 1
        if clears > rule.keep_firing_for:
            return Evaluation("resolved", 0, 0, "resolved")
        return Evaluation("firing", 0, clears, None)
    if previous.state == "pending":
        return Evaluation("inactive", 0, 0, "cleared")
    return Evaluation(previous.state, 0, 0, None)
