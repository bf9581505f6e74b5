"""The one clock of the service: injected wherever the time matters, so tests can set it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, UTC-aware."""
    return datetime.now(UTC)
