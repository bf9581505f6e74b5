"""`monitor alerts ...` and `monitor silence ...` against a real database and a fake Slack."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.cli import main
from tests.alerting.fixtures import SLACK_HOOK_SECRET, HarnessFactory, drift_facts
from tests.notify.servers import FakeSlack

RULE = {"name": "drift", "signal": "drift_share", "threshold": 0.3, "notify": ["slack", "gone"]}


@pytest.fixture
def config_file(harness: HarnessFactory, fake_slack: FakeSlack, tmp_path: Path) -> Path:
    h = harness(
        [RULE],
        {
            "slack": {"type": "slack", "webhook_url": fake_slack.add_hook(SLACK_HOOK_SECRET)},
            "gone": {"type": "slack", "webhook_url": fake_slack.url + FakeSlack.HOOK_PATH + "removed"},
        },
    )
    h.evaluate(0, drift_facts(["a"], ["a", "b"]), now=datetime.now(UTC))
    return h.write_config(tmp_path / "alerts.yaml")


def test_alerts_test_sends_a_test_message(
    config_file: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alerts", "test", "slack", "--config", str(config_file)]) == 0
    assert capsys.readouterr().out.strip() == "sent a test message to slack"
    (request,) = fake_slack.delivered()
    assert "Test message from model-monitor to 'slack'" in request.json["text"]
    assert main(["alerts", "test", "gone", "--config", str(config_file)]) == 1
    err = capsys.readouterr().err
    assert "invalid_token" in err and "will not work until fixed" in err and "removed" not in err
    assert main(["alerts", "test", "pager", "--config", str(config_file)]) == 2
    assert "no notifier named 'pager' (known: gone, slack)" in capsys.readouterr().err


def test_deliver_dead_letters_and_resend(
    config_file: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alerts", "deliver", "--config", str(config_file)]) == 0
    assert capsys.readouterr().out.strip() == "1 notification(s) delivered"
    assert main(["alerts", "dead-letters", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "dead" in out and "gone" in out and "invalid_token" in out
    dead_id = int(out.split()[0])
    fake_slack.hooks[FakeSlack.HOOK_PATH + "removed"] = "ok"
    assert main(["alerts", "resend", str(dead_id), "--config", str(config_file)]) == 0
    assert f"notification {dead_id} to gone queued again" in capsys.readouterr().out
    assert main(["alerts", "deliver", "--config", str(config_file)]) == 0
    assert capsys.readouterr().out.strip() == "1 notification(s) delivered"
    assert main(["alerts", "resend", str(dead_id), "--config", str(config_file)]) == 2
    assert "is delivered, not a dead letter" in capsys.readouterr().err


def test_silence_add_list_expire(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--config", str(config_file)]
    assert (
        main(["silence", "add", "rule=drift", "column=~a|b", "--comment", "on it", "--author", "ana", *args])
        == 0
    )
    added = capsys.readouterr().out
    assert added.startswith("silence 1 until ") and added.strip().endswith("rule=drift column=~a|b")
    assert main(["silence", "list", *args]) == 0
    listed = capsys.readouterr().out
    assert "active" in listed and "(ana: on it)" in listed
    assert main(["silence", "expire", "1", *args]) == 0
    assert capsys.readouterr().out.strip() == "silence 1 expired"
    assert main(["silence", "list", *args]) == 0
    assert capsys.readouterr().out.strip() == "no active or pending silence"
    assert main(["silence", "list", "--all", *args]) == 0
    assert "expired" in capsys.readouterr().out
    assert main(["silence", "expire", "7", *args]) == 2
    assert "no silence 7" in capsys.readouterr().err


def test_silence_add_refuses_bad_input(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--config", str(config_file), "--comment", "x"]
    assert main(["silence", "add", "rule", *args]) == 2
    assert "'rule' is not a matcher" in capsys.readouterr().err
    assert main(["silence", "add", "team!=ops", *args]) == 2
    assert "would mute everything" in capsys.readouterr().err
    assert main(["silence", "add", "rule=drift", "--until", "2001-01-01", *args]) == 2
    assert "in the future" in capsys.readouterr().err
