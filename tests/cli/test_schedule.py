"""`monitor schedule`: the scheduler alone runs due windows and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from monitor.store.tables import RunRow
from tests.conftest import ConfigFactory, monitor_config


def test_the_scheduler_alone_runs_the_due_window_and_stops_on_sigterm(
    sqlite_url: str, monitor_files: Path, write_config: ConfigFactory, tmp_path: Path
) -> None:
    write_config(monitor_config(sqlite_url))
    monitor = Path(sys.executable).with_name("monitor")
    process = subprocess.Popen(
        [str(monitor), "schedule", "--config", str(tmp_path / "config.yaml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    engine = sa.create_engine(sqlite_url)
    try:
        statuses: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with engine.connect() as connection:
                    statuses = list(connection.scalars(sa.select(RunRow.status)))
            except sa.exc.OperationalError:  # the tables are not migrated yet
                statuses = []
            if statuses and "running" not in statuses:
                break
            time.sleep(0.2)
        # The first tick runs at start: the last closed window (the demo data ends months ago, so it
        # is empty, which a run records as a data-quality finding, not a failure).
        assert statuses == ["succeeded"], statuses
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        engine.dispose()
    assert process.returncode == 0, output
    assert "SIGTERM received: the scheduler stops" in output
