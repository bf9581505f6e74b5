"""`monitor prune`: one retention pass from the command line, with what it removed."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from monitor import pipeline
from monitor.services import scheduling
from tests.conftest import DAY0, RuntimeFactory, monitor_config


def test_prune_removes_what_is_older_than_the_settings_and_says_so(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    config = monitor_config(db_url)
    config["retention"] = {"raw_results": "1d", "delivery_log": "1d"}  # DAY0 is months before today
    runtime = make_runtime(config)
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=5))
    scheduling.deliver(runtime)  # the drift alert's notification ends delivered or dead: both are prunable
    monitor = Path(sys.executable).with_name("monitor")
    command = [str(monitor), "prune", "--config", str(tmp_path / "config.yaml")]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    again = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    assert "raw results of 4 windows, 1 old notifications" in first
    assert "raw results of 0 windows, 0 old notifications" in again
