"""Alerts as messages show them: items, drifted features, the order they are listed in, and the
idempotency key a message is delivered under."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from monitor.notify.messages import AlertItem, FeatureDrift
from monitor.rules import WindowFacts
from monitor.store.tables import AlertRow


def alert_item(alert: AlertRow) -> AlertItem:
    def iso(moment: Any) -> str | None:
        return None if moment is None else moment.isoformat()

    return AlertItem(
        fingerprint=alert.fingerprint,
        rule=alert.rule,
        status="firing" if alert.state == "firing" else "resolved",
        severity=alert.severity,
        labels=dict(alert.labels or {}),
        value=alert.value,
        threshold=alert.threshold,
        summary=alert.summary,
        started_at=iso(alert.started_at),
        fired_at=iso(alert.fired_at),
        resolved_at=iso(alert.resolved_at),
    )


def drifted_features(facts: WindowFacts) -> tuple[FeatureDrift, ...]:
    return tuple(
        FeatureDrift(column, test, fact.statistic, fact.p_value, fact.threshold)
        for column, tests in sorted(facts.column_tests.items())
        for test, fact in sorted(tests.items())
        if fact.status == "ok" and fact.drifted
    )


def severity_order(alert: AlertRow) -> tuple[int, str, str]:
    rank = {"critical": 0, "warning": 1, "info": 2}.get(alert.severity, 3)
    return rank, alert.rule, json.dumps(alert.labels or {}, sort_keys=True)


def idempotency_key(prefix: str, *parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{prefix}-{digest[:40]}"
