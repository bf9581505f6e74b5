"""Alerting configuration: rules, channels and their error paths; secrets as SecretStr."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config import SlackNotifierConfig, parse_config
from tests.config.test_parse import errors_of, minimal


def with_notifiers(notifiers: dict[str, Any], **monitor: Any) -> dict[str, Any]:
    data = minimal(**monitor)
    data["notifiers"] = notifiers
    return data


def test_channels_parse_with_route_defaults_and_secrets_hidden() -> None:
    data = with_notifiers(
        {
            "slack": {"type": "slack", "webhook_url": "${SLACK_URL}", "group_by": ["severity"]},
            "bot": {"type": "slack", "token": "xoxb-1", "channel": "#ml", "repeat_interval": "1d"},
            "hook": {"type": "webhook", "url": "https://example.org/in?token=abc"},
            "retrain": {
                "type": "retrain",
                "url": "https://ci.example/retrain",
                "secret": "k",
                "cooldown": "12h",
            },
        },
        alerts=[
            {"name": "d", "signal": "drift_share", "threshold": 0.3, "notify": ["slack"], "action": "retrain"}
        ],
    )
    config = parse_config(
        data, base_dir=Path("/cfg"), env={"SLACK_URL": "https://hooks.slack.com/services/T/B/X"}
    )
    slack = config.notifiers["slack"]
    assert isinstance(slack, SlackNotifierConfig) and slack.webhook_url is not None
    assert slack.webhook_url.get_secret_value() == "https://hooks.slack.com/services/T/B/X"
    assert (slack.group_by, slack.repeat_interval, slack.send_resolved) == (
        ["severity"],
        timedelta(hours=4),
        True,
    )
    assert config.notifiers["bot"].repeat_interval == timedelta(days=1)  # type: ignore[union-attr]
    assert config.action_channel(config.monitors["credit"].alerts[0]) == "retrain"
    assert "hooks.slack.com" not in repr(config) and "xoxb-1" not in config.model_dump_json()
    assert (config.alerting.delivery_max_age, config.alerting.dispatch_lease) == (
        timedelta(days=1),
        timedelta(minutes=2),
    )


@pytest.mark.parametrize(
    ("notifier", "path", "message"),
    [
        ({"type": "slack"}, "notifiers.x", "give either `webhook_url` or `token` with `channel`"),
        ({"type": "slack", "token": "t"}, "notifiers.x", "a bot `token` needs the `channel`"),
        ({"type": "webhook"}, "notifiers.x.url", "Field required"),
        ({"type": "retrain", "url": "https://x"}, "notifiers.x.secret", "Field required"),
        ({"type": "pager"}, "notifiers.x", "does not match any of the expected types"),
    ],
)
def test_channel_errors_name_their_path(notifier: dict[str, Any], path: str, message: str) -> None:
    errors = errors_of(with_notifiers({"x": notifier}))
    assert any(p == path and message in m for p, m in errors), errors


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ({"signal": "quality", "notify": ["log"]}, "monitors.credit.alerts[0]", "needs `check`"),
        ({"signal": "drift_share"}, "monitors.credit.alerts[0]", "signal 'drift_share' needs `threshold`"),
        (
            {
                "signal": "metric",
                "metric": "roc_auc",
                "threshold": 0.7,
                "baseline": {"windows": 3, "max_drop": 0.1},
            },
            "monitors.credit.alerts[0]",
            "takes no `threshold`",
        ),
        (
            {"signal": "metric", "metric": "roc_auc", "baseline": {"windows": 3}},
            "monitors.credit.alerts[0].baseline",
            "exactly one of `max_drop` or `max_rise`",
        ),
        (
            {"signal": "metric", "metric": "roc_auc", "baseline": {"max_drop": 0.1}},
            "monitors.credit.alerts[0].baseline",
            "either `windows`",
        ),
        (
            {"signal": "drift_share", "threshold": 1, "labels": {"rule": "x"}},
            "monitors.credit.alerts[0]",
            "labels rule",
        ),
        (
            {"signal": "drift_share", "threshold": 1, "keep_firing_for": -1},
            "monitors.credit.alerts[0].keep_firing_for",
            "",
        ),
        (
            {"signal": "drift_share", "threshold": 1, "action": "retrain"},
            "monitors.credit.alerts[0].action",
            "found none",
        ),
        (
            {"signal": "drift_share", "threshold": 0.3, "min_label_coverage": 0.5},
            "monitors.credit.alerts[0]",
            "`min_label_coverage` applies to signal 'metric' only",
        ),
        (
            {"signal": "metric", "metric": "roc_auc", "threshold": 0.7, "min_label_coverage": 1.5},
            "monitors.credit.alerts[0].min_label_coverage",
            "less than or equal to 1",
        ),
    ],
)
def test_rule_errors_name_their_path(rule: dict[str, Any], path: str, message: str) -> None:
    errors = errors_of(minimal(alerts=[{"name": "r", **rule}]))
    assert any(p == path and message in m for p, m in errors), errors


def test_a_rule_cannot_notify_a_retrain_webhook_directly() -> None:
    data = with_notifiers(
        {"retrain": {"type": "retrain", "url": "https://x", "secret": "s"}},
        alerts=[{"name": "r", "signal": "drift_share", "threshold": 0.3, "notify": ["retrain"]}],
    )
    assert errors_of(data) == [
        ("monitors.credit.alerts[0].notify", "'retrain' is a retrain channel; use `action: retrain`")
    ]


def test_several_retrain_webhooks_need_retrain_via() -> None:
    hooks = {n: {"type": "retrain", "url": "https://x", "secret": "s"} for n in ("a", "b")}
    rule = {"name": "r", "signal": "drift_share", "threshold": 0.3, "action": "retrain"}
    ((path, message),) = errors_of(with_notifiers(hooks, alerts=[rule]))
    assert path == "monitors.credit.alerts[0].action" and "name one in action_via" in message
    config = parse_config(
        with_notifiers(hooks, alerts=[{**rule, "retrain_via": "b"}]), base_dir=Path("/"), env={}
    )
    assert config.action_channel(config.monitors["credit"].alerts[0]) == "b"


def test_metric_rules_wait_for_80_percent_of_labels_unless_told_otherwise() -> None:
    rules = [
        {"name": "auc", "signal": "metric", "metric": "roc_auc", "op": "<", "threshold": 0.7},
        {
            "name": "acc",
            "signal": "metric",
            "metric": "accuracy",
            "threshold": 0.6,
            "min_label_coverage": 0.5,
        },
    ]
    config = parse_config(minimal(alerts=rules), base_dir=Path("/cfg"), env={})
    auc, acc = config.monitors["credit"].alerts
    assert (auc.min_label_coverage, auc.label_coverage_needed) == (None, 0.8)
    assert (acc.min_label_coverage, acc.label_coverage_needed) == (0.5, 0.5)


def test_dataset_drift_rules_default_to_1_and_know_their_tests() -> None:
    data = minimal(
        alerts=[
            {"name": "mv", "signal": "dataset_drift"},
            {"name": "clf", "signal": "dataset_drift", "test": "domain_classifier"},
            {"name": "w", "signal": "weighted_drift_share", "threshold": 0.4},
        ]
    )
    rules = parse_config(data, base_dir=Path("/cfg")).monitors["credit"].alerts
    assert [(r.signal, r.test, r.threshold) for r in rules] == [
        ("dataset_drift", None, None),
        ("dataset_drift", "domain_classifier", None),
        ("weighted_drift_share", None, 0.4),
    ]
    bad = minimal(
        alerts=[
            {"name": "mv", "signal": "dataset_drift", "test": "ks"},
            {"name": "w", "signal": "weighted_drift_share"},
        ]
    )
    errors = dict(errors_of(bad))
    assert "domain_classifier or pca_reconstruction" in errors["monitors.credit.alerts[0]"]
    assert "needs `threshold`" in errors["monitors.credit.alerts[1]"]
