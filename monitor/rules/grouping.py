"""Which alerts make one message, and when a group is worth a message: Alertmanager's group_by and
its notification-log dedup (notify on a new firing alert or a resolution, else after repeat_interval)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Reason = Literal["firing", "resolved", "repeat"]


@dataclass(frozen=True)
class GroupLog:
    """What a channel was last told about a group: the alerts it knows as firing, and when."""

    firing: frozenset[str]
    last_notified_at: datetime | None


def group_labels(labels: Mapping[str, str], group_by: Sequence[str]) -> dict[str, str]:
    return {name: labels.get(name, "") for name in sorted(set(group_by))}


def group_key(monitor: str, channel: str, labels: Mapping[str, str]) -> str:
    key = json.dumps({"monitor": monitor, "channel": channel, "group": dict(labels)}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def notification_reason(
    log: GroupLog | None,
    firing: Set[str],
    resolved: Set[str],
    *,
    send_resolved: bool,
    repeat_interval: timedelta,
    now: datetime,
) -> Reason | None:
    """Why the group needs a message now, or None. `firing` and `resolved` hold the fingerprints of
    the group's unsilenced alerts in those states; only resolutions of alerts the channel was told
    about are news."""
    told = log.firing if log is not None else frozenset()
    if firing - told:
        return "firing"
    if send_resolved and resolved & told:
        return "resolved"
    last = log.last_notified_at if log is not None else None
    if firing and last is not None and last <= now - repeat_interval:
        return "repeat"
    return None
