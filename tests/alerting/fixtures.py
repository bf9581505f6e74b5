"""Fixtures for alerting tests: the fake Slack and webhook servers, and a harness that evaluates
rules on facts a test constructs, in a real database, window by window, with an injected clock.
A plugin of tests/conftest.py: tests of notify/, web/, cli/ and test_secrets.py use it too."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, update

from monitor.alerting.context import AlertContext
from monitor.alerting.judge import apply_rules
from monitor.config import Config, parse_config
from monitor.notify.dispatch import deliver_pending
from monitor.pipeline.runtime import Runtime
from monitor.rules import TestFact, WindowFacts
from monitor.store import claims
from monitor.store import monitors as monitor_store
from monitor.store.engine import transaction
from monitor.store.tables import AlertEventRow, AlertRow, DeliveryAttemptRow, OutboxRow, RunRow
from monitor.windows import Window
from tests.conftest import DAY0, RuntimeFactory
from tests.notify.servers import FakeSlack, WebhookReceiver

SLACK_HOOK_SECRET = "XyZhooksecretpathQ1w2E3"
RETRAIN_SECRET = "whsec_retrain_signing_key_5d1c"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(secret=RETRAIN_SECRET)
    server.start()
    yield server
    server.stop()


def alert_config_data(
    db_url: str,
    rules: list[dict[str, Any]],
    notifiers: dict[str, dict[str, Any]],
    *,
    alerting: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "database": {"url": db_url},
        "server": {"public_url": "http://monitor.example"},
        "notifiers": notifiers,
        "monitors": {
            "m": {
                "model": "toy",
                "source": {"type": "files", "path": "predictions.parquet"},
                "reference": {"type": "files", "path": "reference.parquet"},
                "alerts": rules,
            }
        },
    }
    if alerting:
        data["alerting"] = alerting
    return data


def window(day: int) -> Window:
    return Window(DAY0 + timedelta(days=day), DAY0 + timedelta(days=day + 1))


def drift_facts(drifted: list[str], columns: list[str], **kwargs: Any) -> WindowFacts:
    """Facts of a window where `drifted` of `columns` drifted by ks (p = 1e-6 against 0.05)."""
    tests = {
        c: {"ks": TestFact(0.3 if c in drifted else 0.01, 1e-6 if c in drifted else 0.6, 0.05, c in drifted)}
        for c in columns
    }
    base: dict[str, Any] = {
        "drift_share": len(drifted) / len(columns) if columns else None,
        "drifted_columns": tuple(drifted),
        "judged_columns": tuple(columns),
        "metrics": {"roc_auc": 0.8},
        "row_count": 500,
        "column_tests": tests,
    }
    return WindowFacts(**{**base, **kwargs})


class AlertHarness:
    """Over a Runtime of the monitor `m` (from `make_runtime`), which the app and the CLI can be given."""

    def __init__(self, data: dict[str, Any], runtime: Runtime) -> None:
        self.data = data
        self.runtime = runtime
        self.config: Config = runtime.config
        self.sessions = runtime.sessions
        self.notifiers = runtime.notifiers
        with self.sessions() as session:
            monitor_id = monitor_store.monitor_id(session=session, name="m")
        assert monitor_id is not None
        self.monitor_id = monitor_id

    def evaluate(self, day: int, facts: WindowFacts, *, now: datetime) -> list[str]:
        """Runs the rules on one window's facts, as a run's transaction does."""
        w = window(day)
        claim = claims.claim_run(
            self.sessions,
            monitor_id=self.monitor_id,
            start=w.start,
            end=w.end,
            trigger="manual",
            now=now,
            recompute=True,
        )
        assert claim.run_id is not None
        with transaction(self.sessions) as session:
            # As a run stores its results before the rules see them.
            session.execute(update(RunRow).where(RunRow.id == claim.run_id).values(status="succeeded"))
            ctx = AlertContext(session, self.config, "m", "toy", self.monitor_id, now)
            return apply_rules(ctx, run_id=claim.run_id, window=w, facts=facts)

    def write_config(self, path: Path) -> Path:
        path.write_text(yaml.safe_dump(self.data, sort_keys=False), encoding="utf-8")
        return path

    def deliver(self, now: datetime | None = None, **kwargs: Any) -> int:
        """One dispatcher pass at the logical time `now`, or on the `clock=` given."""
        return deliver_pending(self.sessions, self.notifiers, now=now, **kwargs)

    def outbox(self) -> list[OutboxRow]:
        with self.sessions() as session:
            return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))

    def attempts(self, outbox_id: int) -> list[DeliveryAttemptRow]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(DeliveryAttemptRow)
                    .where(DeliveryAttemptRow.outbox_id == outbox_id)
                    .order_by(DeliveryAttemptRow.id)
                )
            )

    def alerts(self) -> list[AlertRow]:
        with self.sessions() as session:
            return list(session.scalars(select(AlertRow).order_by(AlertRow.id)))

    def events(self, rule: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        """(event, labels as text, details) in order, for alerts of `rule` (all when None)."""
        with self.sessions() as session:
            rows = session.execute(
                select(AlertEventRow, AlertRow)
                .join(AlertRow, AlertRow.id == AlertEventRow.alert_id)
                .order_by(AlertEventRow.id)
            ).all()
        return [
            (e.event, ",".join(f"{k}={v}" for k, v in sorted(a.labels.items()) if k != "rule"), e.details)
            for e, a in rows
            if rule is None or a.rule == rule
        ]

    def close(self) -> None:
        """The process ends; `make_runtime` closes the runtime again at teardown, harmlessly."""
        self.runtime.close()


HarnessFactory = Callable[..., AlertHarness]


@pytest.fixture
def harness(db_url: str, tmp_path: Path, make_runtime: RuntimeFactory) -> HarnessFactory:
    def factory(
        rules: list[dict[str, Any]], notifiers: dict[str, dict[str, Any]], **kwargs: Any
    ) -> AlertHarness:
        data = alert_config_data(db_url, rules, notifiers, **kwargs)
        # Parsed without the process's environment, so no variable of the machine changes the config.
        return AlertHarness(data, make_runtime(parse_config(data, base_dir=tmp_path, env={})))

    return factory
