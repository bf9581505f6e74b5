"""Service functions the routes, the CLI and the scheduler share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import MonitorConfig, parse_config
from monitor.services.runs import WindowNotClosed, manual_window
from monitor.windows import Window

NOW = datetime(2026, 3, 2, 0, 10, tzinfo=UTC)


def monitor(delay: str) -> MonitorConfig:
    config = parse_config(
        {
            "monitors": {
                "m": {
                    "model": "x",
                    "source": {"type": "files", "path": "p.parquet"},
                    "reference": {"type": "files", "path": "r.parquet"},
                    "schedule": {"delay": delay},
                }
            }
        },
        base_dir=Path("/cfg"),
        env={},
    )
    return config.monitors["m"]


def test_default_manual_window_waits_for_the_schedule_delay_like_the_scheduler() -> None:
    # 00:10 with a 15-minute delay: yesterday's window is not due yet, so the day before is the default.
    assert manual_window(monitor("15m"), window_end=None, now=NOW) == Window(
        datetime(2026, 2, 28, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert manual_window(monitor("5m"), window_end=None, now=NOW) == Window(
        datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
    )


def test_an_open_window_is_refused() -> None:
    with pytest.raises(WindowNotClosed, match="has not closed yet"):
        manual_window(monitor("5m"), window_end=NOW + timedelta(days=1), now=NOW)
