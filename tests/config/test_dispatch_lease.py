"""A dispatch lease must outlast the slowest send, or a second dispatcher takes the row mid-send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.config import ConfigError, parse_config

SLACK: dict[str, Any] = {
    "type": "slack",
    "webhook_url": "https://hooks.slack.com/services/T/B/x",
    "timeout": 10,
}


def test_a_lease_not_above_a_channel_timeout_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {"alerting": {"dispatch_lease": "10s"}, "notifiers": {"slack": SLACK}},
            base_dir=Path("/cfg"),
            env={},
        )
    (message,) = [m for _, m in caught.value.errors]
    assert "alerting.dispatch_lease: 10s is not above the timeout of notifier 'slack' (10s)" in message


def test_a_lease_above_every_timeout_is_accepted() -> None:
    config = parse_config(
        {"alerting": {"dispatch_lease": "11s"}, "notifiers": {"slack": SLACK}}, base_dir=Path("/cfg"), env={}
    )
    assert config.alerting.dispatch_lease.total_seconds() == 11
