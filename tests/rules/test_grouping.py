from __future__ import annotations

from collections.abc import Set
from datetime import UTC, datetime, timedelta

from monitor.rules import GroupLog, group_key, group_labels, notification_reason

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
FOUR_HOURS = timedelta(hours=4)


def reason(
    log: GroupLog | None, firing: Set[str], resolved: Set[str] = frozenset(), send_resolved: bool = True
) -> str | None:
    return notification_reason(
        log, firing, resolved, send_resolved=send_resolved, repeat_interval=FOUR_HOURS, now=NOW
    )


def test_a_new_group_is_told_only_when_something_fires() -> None:
    assert reason(None, {"a", "b"}) == "firing"
    assert reason(None, set(), {"a"}) is None


def test_a_new_firing_alert_is_news_an_unchanged_group_waits_for_repeat_interval() -> None:
    told = GroupLog(frozenset({"a"}), NOW - timedelta(hours=1))
    assert reason(told, {"a", "b"}) == "firing"
    assert reason(told, {"a"}) is None
    assert reason(GroupLog(frozenset({"a"}), NOW - FOUR_HOURS), {"a"}) == "repeat"


def test_resolutions_of_alerts_the_channel_knew_about() -> None:
    told = GroupLog(frozenset({"a", "b"}), NOW - timedelta(minutes=5))
    assert reason(told, {"a"}, {"b"}) == "resolved"
    assert reason(told, set(), {"a", "b"}) == "resolved"
    assert reason(told, {"a"}, {"b"}, send_resolved=False) is None
    # an alert that resolved without the channel ever hearing of it is no news
    assert reason(GroupLog(frozenset({"a"}), NOW), {"a"}, {"c"}) is None


def test_group_labels_and_keys() -> None:
    labels = {"rule": "drift", "column": "age", "severity": "warning"}
    assert group_labels(labels, ["severity", "team"]) == {"severity": "warning", "team": ""}
    assert group_labels(labels, []) == {}
    same = group_key("m", "slack", {"severity": "warning"})
    assert same == group_key("m", "slack", {"severity": "warning"})
    assert same != group_key("m", "slack", {"severity": "critical"})
    assert same != group_key("m", "webhook", {"severity": "warning"})
