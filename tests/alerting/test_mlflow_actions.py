"""Rollback and promotion against a real MLflow tracking server the module starts (tests/mlflow_server.py):
the alias moves once, a retried delivery never moves it again, a promotion keeps the previous version,
and what MLflow refuses ends as a dead letter. The rollback runs the configuration of
docs/deployments.md, so that page cannot rot."""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.config import interpolate_env, parse_config
from monitor.notify import build_notifier
from monitor.notify.messages import ActionRequest
from monitor.notify.registry import tag_key
from monitor.web.app import create_app
from tests.alerting.fixtures import (
    RETRAIN_SECRET,
    SLACK_HOOK_SECRET,
    AlertHarness,
    HarnessFactory,
    drift_facts,
)
from tests.conftest import DAY0, unavailable
from tests.mlflow_server import MlflowServer, MlflowUnavailable, mlflow_server
from tests.notify.servers import Answer, FakeSlack, WebhookReceiver, verify_signature
from tests.servers import free_port, serving

REPO = Path(__file__).resolve().parents[2]
NOW = DAY0 + timedelta(days=10)
SCORE_SHIFT = drift_facts(["score"], ["score", "x"])
QUIET = drift_facts([], ["score", "x"])


@pytest.fixture(scope="module")
def mlflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    with ExitStack() as stack:
        try:
            server = stack.enter_context(mlflow_server(tmp_path_factory.mktemp("mlflow")))
        except MlflowUnavailable as exc:
            unavailable(f"the MLflow tracking server cannot start: {exc}")
        yield server


@pytest.fixture
def model(mlflow: MlflowServer) -> str:
    """A registered model of its own (the server is shared by the module) with versions 1..4,
    `champion` on 4."""
    name = f"credit-{uuid.uuid4().hex[:8]}"
    mlflow.create_model(name, versions=4)
    mlflow.set_alias(name, "champion", 4)
    return name


def documented_config(env: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The notifiers and rules of docs/deployments.md's "Wiring rollback to MLflow", variables filled."""
    text = (REPO / "docs" / "deployments.md").read_text(encoding="utf-8")
    block = text.split("## Wiring rollback to MLflow", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    data = interpolate_env(yaml.safe_load(block), env)
    return data["notifiers"], data["monitors"]["credit-default"]["alerts"]


def registry(mlflow: MlflowServer, name: str, **extra: Any) -> dict[str, Any]:
    return {"tracking_uri": mlflow.url, "model_name": name, **extra}


def attempts(h: AlertHarness, kind: str) -> list[tuple[str, int | None, str | None, str | None]]:
    (row,) = [r for r in h.outbox() if r.kind == kind]
    return [(a.outcome, a.status_code, a.detail, a.error) for a in h.attempts(row.id)]


def test_the_documented_rollback_moves_champion_back_once_and_the_alert_shows_it(
    harness: HarnessFactory, mlflow: MlflowServer, model: str, fake_slack: FakeSlack
) -> None:
    deployer = WebhookReceiver(secret=RETRAIN_SECRET)
    deployer.start()
    try:
        env = {
            "SLACK_WEBHOOK_URL": fake_slack.add_hook(SLACK_HOOK_SECRET),
            "DEPLOY_HOOK_URL": f"{deployer.url}/deploy",
            "ROLLBACK_SIGNING_SECRET": RETRAIN_SECRET,
            "MLFLOW_TRACKING_URI": mlflow.url,
        }
        notifiers, rules = documented_config(env)
        notifiers["rollback"]["mlflow"]["model_name"] = model  # the docs' config, on this test's model
        h = harness(rules, notifiers)
        deployer.fail_next(Answer(500, "deployer restarting"))  # the alias moves, then the webhook fails
        h.evaluate(0, SCORE_SHIFT, now=NOW)
        h.deliver(NOW)
        assert mlflow.aliases(model) == {"champion": "3"}
        h.deliver(NOW + timedelta(hours=1))  # the retry: the webhook answers, the alias does not move again
        assert mlflow.aliases(model) == {"champion": "3"}

        moved = f"MLflow {model} alias champion: 4 -> 3"
        assert attempts(h, "rollback") == [
            (
                "retry",
                500,
                f"{moved}; webhook answered HTTP 500",
                "webhook 'rollback' answered HTTP 500: deployer restarting",
            ),
            ("delivered", 200, f"{moved} (done by an earlier attempt); webhook answered HTTP 200", None),
        ]
        first, retried = deployer.requests
        assert first.headers["Idempotency-Key"] == retried.headers["Idempotency-Key"]
        assert all(
            verify_signature(RETRAIN_SECRET, r.headers["Monitor-Signature"], r.body) for r in (first, retried)
        )
        expected = {"model": model, "alias": "champion", "from_version": "4", "to_version": "3"}
        assert first.json["registry"] == {**expected, "outcome": "moved"}
        assert retried.json["registry"] == {**expected, "outcome": "done"}
        key = first.headers["Idempotency-Key"]
        assert {k: v for k, v in mlflow.tags(model).items() if k.startswith("monitor.")} == {
            tag_key(key): "champion:4->3"
        }

        with serving(create_app(h.runtime)) as server, server.client() as client:
            alert_id = client.get("/api/v1/alerts").json()[0]["id"]
            (action,) = client.get(f"/api/v1/alerts/{alert_id}").json()["actions"]
            page = client.get(f"/alerts/{alert_id}").text
        assert (action["action"], action["status"], action["channel"]) == (
            "rollback",
            "delivered",
            "rollback",
        )
        assert action["outcome"] == f"{moved} (done by an earlier attempt); webhook answered HTTP 200"
        assert action["idempotency_key"] == key and len(action["attempts"]) == 2
        assert action["details"]["registry"] == f"{model} alias champion"
        assert 'id="actions"' in page and html.escape(f"{moved}; webhook answered HTTP 500") in page
    finally:
        deployer.stop()


def test_a_move_recorded_but_not_made_is_completed_never_recomputed(mlflow: MlflowServer, model: str) -> None:
    config = parse_config(
        {"notifiers": {"rollback": {"type": "rollback", "mlflow": registry(mlflow, model)}}},
        base_dir=REPO,
        env={},
    )
    notifier = build_notifier("rollback", config.notifiers["rollback"])
    request = ActionRequest(
        "m", "m", "why", "2026-06-01", "2026-06-02", (), {}, None, (), "t0", action="rollback"
    )
    # A dispatcher died after recording the move 4 -> 3 and before making it.
    mlflow.set_tag(model, tag_key("rollback-k1"), "champion:4->3")
    done = notifier.send(request, idempotency_key="rollback-k1")
    assert (done.ok, done.detail) == (True, f"MLflow {model} alias champion: 4 -> 3")
    again = notifier.send(request, idempotency_key="rollback-k1")
    assert (again.ok, again.detail) == (
        True,
        f"MLflow {model} alias champion: 4 -> 3 (done by an earlier attempt)",
    )
    assert mlflow.aliases(model) == {"champion": "3"}
    # A new rollback (another key) does go one further back: the retries above stopped on purpose.
    assert (
        notifier.send(request, idempotency_key="rollback-k2").detail
        == f"MLflow {model} alias champion: 3 -> 2"
    )
    assert mlflow.aliases(model) == {"champion": "2"}


def test_a_promotion_keeps_the_previous_version_and_a_rollback_returns_to_it(
    harness: HarnessFactory, mlflow: MlflowServer, model: str
) -> None:
    mlflow.set_alias(model, "champion", 3)
    notifiers = {
        "promote": {"type": "promote", "mlflow": registry(mlflow, model, versions={"v4": 4})},
        "rollback": {"type": "rollback", "mlflow": registry(mlflow, model)},
    }
    rules = [
        {
            "name": "canary-healthy",
            "signal": "row_count",
            "threshold": 100,
            "labels": {"version": "v4"},
            "action": "promote",
        },
        {"name": "score-shift", "signal": "column_drift", "column": "score", "action": "rollback"},
    ]
    h = harness(rules, notifiers)
    h.evaluate(0, QUIET, now=NOW)
    h.deliver(NOW)
    assert mlflow.aliases(model) == {"champion": "4", "champion_previous": "3"}
    assert attempts(h, "promote") == [("delivered", None, f"MLflow {model} alias champion: 3 -> 4", None)]
    (requested,) = [d for e, _, d in h.events("canary-healthy") if e == "promote_requested"]
    assert (requested["model_version"], requested["target"]) == ("v4", "4")
    with serving(create_app(h.runtime)) as server, server.client() as client:
        (alert,) = [a for a in client.get("/api/v1/alerts").json() if a["rule"] == "canary-healthy"]
        page = client.get(f"/alerts/{alert['id']}").text
    assert "model version v4 (registry version 4)" in page
    assert html.escape(f"MLflow {model} alias champion: 3 -> 4") in page

    h.evaluate(1, SCORE_SHIFT, now=NOW + timedelta(hours=1))
    h.deliver(NOW + timedelta(hours=1))
    assert mlflow.aliases(model) == {"champion": "3", "champion_previous": "3"}
    assert attempts(h, "rollback") == [("delivered", None, f"MLflow {model} alias champion: 4 -> 3", None)]


def test_an_unknown_model_is_a_dead_letter_and_mlflow_down_is_retried(
    harness: HarnessFactory, mlflow: MlflowServer
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    notifiers = {
        "typo": {"type": "rollback", "mlflow": registry(mlflow, "credit-defualt")},
        "down": {"type": "rollback", "mlflow": {"tracking_uri": down, "model_name": "credit"}},
    }
    rules = [
        {"name": "a", "signal": "drift_share", "threshold": 0.3, "action": "rollback", "action_via": "typo"},
        {
            "name": "b",
            "signal": "column_drift",
            "column": "score",
            "action": "rollback",
            "action_via": "down",
        },
    ]
    h = harness(rules, notifiers)
    h.evaluate(0, SCORE_SHIFT, now=NOW)
    h.deliver(NOW)
    by_channel = {r.channel: r for r in h.outbox()}
    typo, unreachable = by_channel["typo"], by_channel["down"]
    assert typo.status == "dead" and typo.last_status_code == 404
    assert typo.last_error == (
        "MLflow (GET registered-models/get, model 'credit-defualt') answered HTTP 404 "
        "RESOURCE_DOES_NOT_EXIST: Registered Model with name=credit-defualt not found; not retried"
    )
    assert unreachable.status == "pending" and unreachable.attempts == 1
    assert "MLflow (GET registered-models/get, model 'credit') unreachable" in (unreachable.last_error or "")


def test_a_dry_run_leaves_the_alias_alone(harness: HarnessFactory, mlflow: MlflowServer, model: str) -> None:
    h = harness(
        [{"name": "a", "signal": "drift_share", "threshold": 0.3, "action": "rollback"}],
        {"rollback": {"type": "rollback", "dry_run": True, "mlflow": registry(mlflow, model)}},
    )
    h.evaluate(0, SCORE_SHIFT, now=NOW)
    assert h.deliver(NOW) == 1
    assert mlflow.aliases(model) == {"champion": "4"}
    assert attempts(h, "rollback")[0][2] == (
        f"dry run: would move MLflow {model} alias champion back to champion_previous's version, "
        "or the highest below it"
    )
