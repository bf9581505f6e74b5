"""Secrets (Slack webhook URLs, bot tokens, webhook URLs and their query tokens, signing keys) never
appear in logs, stored errors, API responses, pages or command output, even when every channel fails."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.web.app import create_app
from tests.alerting.fixtures import HarnessFactory, drift_facts
from tests.conftest import DAY0
from tests.notify.servers import FakeSlack, WebhookReceiver
from tests.servers import free_port, serving

NOW = DAY0 + timedelta(days=10)
HOOK_SECRET = "hookpath-5f8e2a9c71"
BOT_TOKEN = "xoxb-4242-leaktest-bottoken"
BAD_URL_SECRET = "malformedhook-0c1d2e"
WEBHOOK_PATH_SECRET = "webhookpath-77aa91"
QUERY_SECRET = "querytoken-31337abc"
WEBHOOK_SIGNING = "whsec-generic-signing-1234"
RETRAIN_PATH_SECRET = "retrainpath-9b9b9b"
RETRAIN_SIGNING = "whsec-retrain-wrong-key-5678"
ROLLBACK_PATH_SECRET = "rollbackpath-4c4c4c4c"
ROLLBACK_SIGNING = "whsec-rollback-wrong-key-9012"
MLFLOW_PATH_SECRET = "mlflowpath-8e8e8e8e"
MLFLOW_TOKEN = "dapi-mlflow-leaktest-token"


def test_secrets_never_leak_even_when_every_channel_fails(
    harness: HarnessFactory,
    fake_slack: FakeSlack,
    receiver: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    hook_url = f"{fake_slack.url}/services/T0001/B0001/{HOOK_SECRET}"  # not a hook Slack knows: 403
    webhook_url = f"http://127.0.0.1:{free_port()}/in/{WEBHOOK_PATH_SECRET}?token={QUERY_SECRET}"
    notifiers = {
        "hook-slack": {"type": "slack", "webhook_url": hook_url},
        "bot-slack": {"type": "slack", "token": BOT_TOKEN, "channel": "#ml", "base_url": fake_slack.api_url},
        "broken-slack": {"type": "slack", "webhook_url": f"hxxps://hooks.example/services/{BAD_URL_SECRET}"},
        "hook": {"type": "webhook", "url": webhook_url, "secret": WEBHOOK_SIGNING},
        "retrain": {
            "type": "retrain",
            "url": f"{receiver.url}/r/{RETRAIN_PATH_SECRET}",
            "secret": RETRAIN_SIGNING,  # not the receiver's key: 401
        },
        "rollback": {
            "type": "rollback",
            "url": f"{receiver.url}/rb/{ROLLBACK_PATH_SECRET}",
            "secret": ROLLBACK_SIGNING,  # not the receiver's key: 401
        },
        "rollback-mlflow": {
            "type": "rollback",
            "mlflow": {
                "tracking_uri": f"http://127.0.0.1:{free_port()}/{MLFLOW_PATH_SECRET}",  # nobody listens
                "model_name": "credit",
                "token": MLFLOW_TOKEN,
            },
        },
    }
    rule = {
        "name": "drift",
        "signal": "drift_share",
        "threshold": 0.3,
        "notify": ["hook-slack", "bot-slack", "broken-slack", "hook"],
        "action": "retrain",
    }
    rollbacks = [
        {
            "name": f"drift-{via}",
            "signal": "drift_share",
            "threshold": 0.3,
            "action": "rollback",
            "action_via": via,
        }
        for via in ("rollback", "rollback-mlflow")
    ]
    h = harness([rule, *rollbacks], notifiers)
    h.evaluate(0, drift_facts(["a"], ["a", "b"]), now=NOW)
    for hours in (0, 1, 3, 8):
        h.deliver(NOW + timedelta(hours=hours))
    rows = h.outbox()
    assert len(rows) == 7 and all(r.last_error for r in rows)  # every channel failed, for a reason
    stored = [r.last_error or "" for r in rows] + [a.error or "" for r in rows for a in h.attempts(r.id)]

    responses = []
    with serving(create_app(h.runtime)) as server, server.client() as client:
        alert_id = client.get("/api/v1/alerts").json()[0]["id"]
        for path in (
            "/api/v1/alerts",
            f"/api/v1/alerts/{alert_id}",
            "/api/v1/notifications",
            "/api/v1/dead-letters",
            "/api/v1/silences?expired=true",
            "/api/v1/monitors",
            "/openapi.json",
            "/metrics",
            "/alerts",
            f"/alerts/{alert_id}",
            "/",
        ):
            response = client.get(path)
            assert response.status_code == 200, path
            responses.append(response.text)
        for channel in notifiers:
            response = client.post(f"/api/v1/notifiers/{channel}/test")
            assert response.status_code == 200 and response.json()["ok"] is False
            responses.append(response.text)

    config_file = h.write_config(tmp_path / "leak.yaml")
    # Its data files were never written: validation says so (exit 1), and that output is searched too.
    assert main(["config", "validate", str(config_file)]) == 1
    for channel in notifiers:
        assert main(["alerts", "test", channel, "--config", str(config_file)]) == 1
    assert main(["alerts", "notifications", "--config", str(config_file)]) == 0
    out = capsys.readouterr()

    haystack = "\n".join(
        [caplog.text, *stored, *responses, out.out, out.err, repr(h.config), h.config.model_dump_json()]
    )
    # The failures are explained...
    for reason in (
        "invalid_token",
        "invalid_auth",
        "Invalid URL detected",
        "Connection refused",
        "HTTP 401",
        "MLflow (GET registered-models/get, model 'credit') unreachable",
    ):
        assert reason in haystack, reason
    # ...and no secret is in any of it.
    secrets = [
        hook_url,
        HOOK_SECRET,
        BOT_TOKEN,
        BAD_URL_SECRET,
        webhook_url,
        WEBHOOK_PATH_SECRET,
        QUERY_SECRET,
        WEBHOOK_SIGNING,
        RETRAIN_PATH_SECRET,
        RETRAIN_SIGNING,
        ROLLBACK_PATH_SECRET,
        ROLLBACK_SIGNING,
        MLFLOW_PATH_SECRET,
        MLFLOW_TOKEN,
    ]
    leaked = [s for s in secrets if s in haystack]
    assert leaked == []
