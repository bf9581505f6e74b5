"""`monitor runs list` and the API's status filter name stuck and failed windows, with why."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from monitor import pipeline
from monitor.services.monitors import runs_page
from monitor.windows import Window
from tests.conftest import DAY0, RuntimeFactory, monitor_config

DAY = timedelta(days=1)


def test_runs_list_filters_by_status_and_says_why(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    runtime = make_runtime(monitor_config(db_url))
    assert pipeline.run_monitor(runtime, "m", Window(DAY0, DAY0 + DAY), now=DAY0 + DAY).status == "succeeded"
    (monitor_files / "predictions.parquet").unlink()
    assert (
        pipeline.run_monitor(runtime, "m", Window(DAY0 + DAY, DAY0 + 2 * DAY), now=DAY0 + 2 * DAY).status
        == "failed"
    )
    failed = runs_page(runtime, "m", limit=10, offset=0, status="failed")
    assert [(r.window_start, r.status) for r in failed.items] == [
        (DAY0 + DAY, "failed")
    ] and failed.total == 1
    assert failed.items[0].next_retry_at is not None
    monitor = Path(sys.executable).with_name("monitor")
    listed = subprocess.run(
        [str(monitor), "runs", "list", "--config", str(tmp_path / "config.yaml"), "--status", "failed"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    (line,) = listed.splitlines()
    assert "2026-06-02T00:00:00+00:00 .. 2026-06-03T00:00:00+00:00" in line
    assert "failed" in line and "attempts=1" in line and "predictions.parquet" in line
