"""Action channels (retrain, rollback, promote) and rules' `action`, `action_via`, `retrain_via`: defaults,
secrets hidden, and every error with its path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.config import ConfigError, MlflowRegistryConfig, RollbackNotifierConfig, parse_config
from tests.config.test_parse import errors_of, minimal

MLFLOW = {"tracking_uri": "https://mlflow.example/", "model_name": "credit"}


def with_channels(notifiers: dict[str, Any], *rules: dict[str, Any]) -> dict[str, Any]:
    data = minimal(
        alerts=[
            {"name": f"r{i}", "signal": "drift_share", "threshold": 0.3, **r} for i, r in enumerate(rules)
        ]
    )
    data["notifiers"] = {"log": {"type": "log"}, **notifiers}
    return data


def test_a_rollback_channel_with_mlflow_defaults_and_a_hidden_token() -> None:
    data = with_channels(
        {
            "rb": {
                "type": "rollback",
                "mlflow": {**MLFLOW, "token": "${MLFLOW_TOKEN}", "versions": {"v4": "12"}},
            }
        },
        {"action": "rollback"},
    )
    config = parse_config(data, base_dir=Path("/cfg"), env={"MLFLOW_TOKEN": "dapi-sekrit-123"})
    channel = config.notifiers["rb"]
    assert isinstance(channel, RollbackNotifierConfig) and isinstance(channel.mlflow, MlflowRegistryConfig)
    registry = channel.mlflow
    assert (
        registry.tracking_uri.get_secret_value(),
        registry.alias,
        registry.previous,
        registry.timeout,
    ) == (
        "https://mlflow.example",
        "champion",
        "champion_previous",
        10,
    )
    assert (registry.registry_version("v4"), registry.registry_version("7")) == ("12", "7")
    assert (channel.cooldown.total_seconds(), channel.dry_run, channel.url) == (86_400, False, None)
    assert config.action_channel(config.monitors["credit"].alerts[0]) == "rb"
    assert "dapi-sekrit-123" not in repr(config) and "dapi-sekrit-123" not in config.model_dump_json()


@pytest.mark.parametrize(
    ("channel", "path", "message"),
    [
        ({"type": "rollback"}, "notifiers.x", "give a webhook `url`, an `mlflow` registry, or both"),
        ({"type": "promote", "url": "https://deploy.example"}, "notifiers.x", "needs the `secret`"),
        (
            {"type": "rollback", "mlflow": {**MLFLOW, "tracking_uri": "mlflow:5000"}},
            "notifiers.x.mlflow.tracking_uri",
            "http://",
        ),
        (
            {"type": "rollback", "mlflow": {"tracking_uri": "http://m"}},
            "notifiers.x.mlflow.model_name",
            "Field required",
        ),
        (
            {"type": "rollback", "mlflow": {**MLFLOW, "alias": "latest"}},
            "notifiers.x.mlflow.alias",
            "reserves",
        ),
        ({"type": "rollback", "mlflow": {**MLFLOW, "alias": "v3"}}, "notifiers.x.mlflow.alias", "reserves"),
        (
            {"type": "rollback", "mlflow": {**MLFLOW, "alias": "my champ"}},
            "notifiers.x.mlflow.alias",
            "not an MLflow alias",
        ),
        (
            {"type": "rollback", "mlflow": {**MLFLOW, "previous_alias": "champion"}},
            "notifiers.x.mlflow",
            "must differ",
        ),
        (
            {"type": "promote", "mlflow": {**MLFLOW, "versions": {"v4": "four"}}},
            "notifiers.x.mlflow.versions.v4",
            "integer",
        ),
        ({"type": "rollback", "dry_run": True, "cooldown": "soon"}, "notifiers.x.cooldown", ""),
    ],
)
def test_channel_errors_name_their_path(channel: dict[str, Any], path: str, message: str) -> None:
    errors = errors_of(with_channels({"x": channel}))
    assert any(p == path and message in m for p, m in errors), errors


def test_a_dry_run_needs_nothing_to_call() -> None:
    config = parse_config(
        with_channels({"x": {"type": "promote", "dry_run": True}}, {"action": "promote"}),
        base_dir=Path("/"),
        env={},
    )
    assert config.action_channel(config.monitors["credit"].alerts[0]) == "x"


ROLLBACKS = {n: {"type": "rollback", "dry_run": True} for n in ("blue", "green")}
RETRAIN = {"retrain": {"type": "retrain", "url": "https://ci.example", "secret": "s"}}


@pytest.mark.parametrize(
    ("notifiers", "rule", "path", "message"),
    [
        (
            ROLLBACKS,
            {"action": "rollback"},
            "monitors.credit.alerts[0].action",
            "found several: name one in action_via",
        ),
        (
            {},
            {"action": "promote"},
            "monitors.credit.alerts[0].action",
            "needs a notifier of type promote, found none",
        ),
        (
            ROLLBACKS,
            {"action": "rollback", "action_via": "red"},
            "monitors.credit.alerts[0].action_via",
            "'red' is not a notifier of type rollback (known: blue, green)",
        ),
        (
            {**ROLLBACKS, **RETRAIN},
            {"action": "rollback", "action_via": "retrain"},
            "monitors.credit.alerts[0].action_via",
            "not a notifier of type rollback",
        ),
        (
            ROLLBACKS,
            {"action": "rollback", "retrain_via": "blue"},
            "monitors.credit.alerts[0]",
            "use `action_via`",
        ),
        (ROLLBACKS, {"action_via": "blue"}, "monitors.credit.alerts[0]", "give the action too"),
        (
            ROLLBACKS,
            {"notify": ["blue"]},
            "monitors.credit.alerts[0].notify",
            "'blue' is a rollback channel; use `action: rollback`",
        ),
        (
            RETRAIN,
            {"action": "retrain", "retrain_via": "retrain", "action_via": "other"},
            "monitors.credit.alerts[0]",
            "name different channels",
        ),
    ],
)
def test_rule_action_errors_name_their_path(
    notifiers: dict[str, Any], rule: dict[str, Any], path: str, message: str
) -> None:
    errors = errors_of(with_channels(notifiers, rule))
    assert any(p == path and message in m for p, m in errors), errors


def test_retrain_via_and_action_via_both_pick_a_retrain_channel() -> None:
    hooks = {n: {"type": "retrain", "url": "https://ci.example", "secret": "s"} for n in ("a", "b")}
    data = with_channels(
        hooks, {"action": "retrain", "retrain_via": "b"}, {"action": "retrain", "action_via": "a"}
    )
    config = parse_config(data, base_dir=Path("/"), env={})
    assert [config.action_channel(r) for r in config.monitors["credit"].alerts] == ["b", "a"]


def test_the_lease_must_outlast_a_webhook_and_every_mlflow_call() -> None:
    channel = {
        "type": "rollback",
        "url": "https://d.example",
        "secret": "s",
        "timeout": 5,
        "mlflow": {**MLFLOW, "timeout": 5},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {"alerting": {"dispatch_lease": "30s"}, "notifiers": {"rb": channel}}, base_dir=Path("/"), env={}
        )
    (message,) = [m for _, m in caught.value.errors]
    assert (
        "is not above the longest send (its webhook's and MLflow calls' timeouts) of notifier 'rb' (35s)"
        in message
    )
    config = parse_config(
        {"alerting": {"dispatch_lease": "36s"}, "notifiers": {"rb": channel}}, base_dir=Path("/"), env={}
    )
    assert config.alerting.dispatch_lease.total_seconds() == 36
