"""Threshold rules with `for` (consecutive breaching windows before firing), as Prometheus does."""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}

State = Literal["inactive", "pending", "firing", "resolved"]
Transition = Literal["fired", "resolved"]


@dataclass(frozen=True)
class RuleSpec:
    name: str
    signal: str  # drift_share, column_drift, metric, row_count
    threshold: float
    op: str = ">="
    for_windows: int = 1
    severity: str = "warning"
    metric: str | None = None
    column: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    notify: tuple[str, ...] = ()


@dataclass(frozen=True)
class WindowFacts:
    """What a rule can look at in one window's results."""

    drift_share: float | None
    drifted_columns: tuple[str, ...]
    judged_columns: tuple[str, ...]
    metrics: Mapping[str, float | None]
    row_count: int


@dataclass(frozen=True)
class AlertState:
    state: State = "inactive"
    breaches: int = 0


@dataclass(frozen=True)
class Evaluation:
    rule: str
    labels: Mapping[str, str]
    value: float | None
    threshold: float
    state: State
    breaches: int
    transition: Transition | None
    summary: str


def fingerprint(monitor: str, rule: str, labels: Mapping[str, str]) -> str:
    key = json.dumps(
        {"monitor": monitor, "rule": rule, "labels": dict(sorted(labels.items()))}, sort_keys=True
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def observe(rule: RuleSpec, facts: WindowFacts) -> list[tuple[dict[str, str], float | None]]:
    """The (labels, value) series a rule watches in this window; one alert per series."""
    base = {"rule": rule.name, **rule.labels}
    if rule.signal == "drift_share":
        return [(base, facts.drift_share)]
    if rule.signal == "row_count":
        return [(base, float(facts.row_count))]
    if rule.signal == "metric":
        return [({**base, "metric": rule.metric or ""}, facts.metrics.get(rule.metric or ""))]
    if rule.signal == "column_drift":
        columns = (rule.column,) if rule.column else facts.judged_columns
        return [
            (
                {**base, "column": c},
                1.0 if c in facts.drifted_columns else 0.0 if c in facts.judged_columns else None,
            )
            for c in columns
            if c is not None
        ]
    raise ValueError(f"unknown signal {rule.signal!r}")


def evaluate_rule(
    rule: RuleSpec, labels: Mapping[str, str], value: float | None, previous: AlertState
) -> Evaluation:
    """Advance one alert by one window. A missing value (no data) leaves the state as it was."""
    if value is None:
        return Evaluation(
            rule.name,
            labels,
            None,
            rule.threshold,
            previous.state,
            previous.breaches,
            None,
            f"{rule.name}: no value in this window",
        )
    breached = _OPS[rule.op](value, rule.threshold)
    subject = _subject(rule, labels)
    summary = f"{subject} = {value:.4g} ({rule.op} {rule.threshold:g} {'breached' if breached else 'ok'})"
    if breached:
        breaches = previous.breaches + 1
        if previous.state == "firing":
            return Evaluation(rule.name, labels, value, rule.threshold, "firing", breaches, None, summary)
        if breaches >= rule.for_windows:
            return Evaluation(rule.name, labels, value, rule.threshold, "firing", breaches, "fired", summary)
        return Evaluation(rule.name, labels, value, rule.threshold, "pending", breaches, None, summary)
    transition: Transition | None = "resolved" if previous.state == "firing" else None
    state: State = "resolved" if previous.state in ("firing", "resolved") else "inactive"
    return Evaluation(rule.name, labels, value, rule.threshold, state, 0, transition, summary)


def _subject(rule: RuleSpec, labels: Mapping[str, str]) -> str:
    if rule.signal == "metric":
        return rule.metric or "metric"
    if rule.signal == "column_drift":
        return f"drift of {labels.get('column', '?')}"
    return rule.signal
