"""What the fault tests share: a slow daily x/y log, reading the runs table from outside the process
under test, and signalling a process a little way into a window it has just begun."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from monitor.store.tables import RunRow

RunState = tuple[int, str, int, str | None]  # id, status, attempts, claim reason


def write_xy_log(
    directory: Path,
    first: datetime,
    *,
    days: int,
    rows_per_day: int,
    drift_from_day: int | None,
    seed: int,
    slow_day: int | None = None,
    slow_rows: int = 0,
) -> None:
    """predictions.parquet of `days` daily windows from `first` (x shifts by 1.5 from `drift_from_day`)
    and reference.parquet, for the monitor of `xy_monitor_config`. Day `slow_day` holds `slow_rows`
    rows, so its window takes long enough that a signal sent just after it begins lands inside it
    even on a loaded machine, while the other windows stay quick."""
    rng = np.random.default_rng(seed)
    counts = [slow_rows if day == slow_day else rows_per_day for day in range(days)]
    seconds = np.concatenate([day * 86400 + np.linspace(0, 86399, n) for day, n in enumerate(counts)])
    day_of_row = np.repeat(np.arange(days), counts)
    shift = 0.0 if drift_from_day is None else (day_of_row >= drift_from_day) * 1.5
    n = int(sum(counts))
    pd.DataFrame(
        {
            "timestamp": pd.Timestamp(first) + pd.to_timedelta(seconds, "s"),
            "x": rng.normal(0, 1, n) + shift,
            "y": rng.normal(5, 2, n),
        }
    ).to_parquet(directory / "predictions.parquet")
    pd.DataFrame({"x": rng.normal(0, 1, 20_000), "y": rng.normal(5, 2, 20_000)}).to_parquet(
        directory / "reference.parquet"
    )


def runs(engine: sa.Engine) -> list[RunState]:
    """The runs in window order; nothing while the database is not migrated or not reachable."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(RunRow.id, RunRow.status, RunRow.attempts, RunRow.claim_reason).order_by(
                    RunRow.window_start
                )
            )
            return [(r.id, r.status, r.attempts, r.claim_reason) for r in rows]
    except sa.exc.DBAPIError:
        return []


def stop_mid_window(
    process: subprocess.Popen[Any],
    engine: sa.Engine,
    how: signal.Signals,
    *,
    after: int,
) -> int:
    """Signals the process 50 ms into a window it began after `after` windows succeeded (past the
    instant between the claim's commit and the code that records an abandoned run, where a signal
    leaves the window to its lease as a SIGKILL does); waits for it to end; returns that run's id."""
    deadline = time.monotonic() + 120
    first_seen: dict[int, float] = {}
    while time.monotonic() < deadline and process.poll() is None:
        found = runs(engine)
        done = sum(status == "succeeded" for _, status, _, _ in found)
        for run_id, status, _, _ in found:
            if status == "running":
                first_seen.setdefault(run_id, time.monotonic())
        fresh = [r for r, s, _, _ in found if s == "running" and time.monotonic() - first_seen[r] < 0.02]
        if done >= after and fresh:  # seen running within the last poll: its computation has just begun
            time.sleep(0.05)
            process.send_signal(how)
            process.communicate(timeout=60)
            return fresh[0]
        time.sleep(0.005)
    raise AssertionError(f"the process never began a window after {after} succeeded: {runs(engine)}")
