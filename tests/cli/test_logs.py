"""`--log-format json`: one JSON object a line, naming the monitor, window and run a line is about."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ConfigFactory, monitor_config


def test_json_logs_carry_monitor_window_and_run(
    sqlite_url: str, monitor_files: Path, write_config: ConfigFactory, tmp_path: Path
) -> None:
    write_config(monitor_config(sqlite_url))
    (monitor_files / "predictions.parquet").unlink()  # the run fails, and says so in the log
    monitor = Path(sys.executable).with_name("monitor")
    done = subprocess.run(
        [str(monitor), "--log-format", "json", "run", "m", "--config", str(tmp_path / "config.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    (failed,) = [line for line in lines if line["message"].startswith("run ") and "failed" in line["message"]]
    assert failed["level"] == "WARNING" and failed["monitor"] == "m" and isinstance(failed["run_id"], int)
    assert failed["window"] in failed["message"] and "predictions.parquet" in failed["message"]
