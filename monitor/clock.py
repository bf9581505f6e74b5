"""The one clock of the service: injected wherever the time matters, so tests can set it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, UTC-aware."""
    return datetime.now(UTC)


def advancing(start: datetime) -> Clock:
    """A clock that reads `start` now and moves on with the real time elapsed (a monotonic reading):
    for stamping leases and deliveries when `start` was read before a long computation."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)
