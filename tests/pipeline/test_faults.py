"""A backfill killed mid-window (SIGKILL) or stopped (SIGINT, SIGTERM) and started again: every window
ends computed exactly once, none is left running, nothing half-written stays, and the alerts fire."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.store.tables import AlertRow, DriftResultRow, RunRow
from tests.conftest import DAY0, ConfigFactory, xy_monitor_config

DAYS = 12
ROWS_PER_DAY = 250_000  # enough that a window takes a visible while, so the kill lands inside one
LEASE_SECONDS = 2


@pytest.fixture
def slow_monitor(tmp_path: Path, db_url: str, write_config: ConfigFactory) -> Path:
    rng = np.random.default_rng(5)
    n = DAYS * ROWS_PER_DAY
    log = pd.DataFrame(
        {
            "timestamp": DAY0 + pd.to_timedelta(np.linspace(0, DAYS * 86400 - 1, n), "s"),
            "x": rng.normal(0, 1, n) + (np.arange(n) >= 6 * ROWS_PER_DAY) * 1.5,  # drift from day 6
            "y": rng.normal(5, 2, n),
        }
    )
    log.to_parquet(tmp_path / "predictions.parquet")
    pd.DataFrame({"x": rng.normal(0, 1, 20_000), "y": rng.normal(5, 2, 20_000)}).to_parquet(
        tmp_path / "reference.parquet"
    )
    data = xy_monitor_config(
        db_url,
        monitor={
            "drift": {"tests": ["ks", "psi"], "drift_share": 0.4},
            "alerts": [{"name": "drift", "signal": "drift_share", "threshold": 0.4, "notify": ["log"]}],
        },
        notifiers={"log": {"type": "log"}},
        runs={"lease": f"{LEASE_SECONDS}s", "retry_backoff": "1s"},
    )
    write_config(data)
    return tmp_path / "config.yaml"


@pytest.fixture
def database(db_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


def backfill(config: Path) -> subprocess.Popen[str]:
    monitor = Path(sys.executable).with_name("monitor")
    end = (DAY0 + timedelta(days=DAYS)).isoformat()
    command = [
        str(monitor),
        "backfill",
        "m",
        "--config",
        str(config),
        "--from",
        DAY0.isoformat(),
        "--to",
        end,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def runs(engine: sa.Engine) -> list[tuple[int, str, int, str | None]]:
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(RunRow.id, RunRow.status, RunRow.attempts, RunRow.claim_reason).order_by(
                    RunRow.window_start
                )
            )
            return [(r.id, r.status, r.attempts, r.claim_reason) for r in rows]
    except sa.exc.DBAPIError:  # not migrated yet, or locked for a moment
        return []


def stop_mid_window(process: subprocess.Popen[str], engine: sa.Engine, how: signal.Signals) -> int:
    """Signals the backfill 50 ms into a window after the first two (past the instant between the
    claim's commit and the code that records an abandoned run, where a signal leaves the window to
    its lease as a SIGKILL does); returns that run's id."""
    deadline = time.monotonic() + 120
    first_seen: dict[int, float] = {}
    while time.monotonic() < deadline and process.poll() is None:
        found = runs(engine)
        done = sum(status == "succeeded" for _, status, _, _ in found)
        for run_id, status, _, _ in found:
            if status == "running":
                first_seen.setdefault(run_id, time.monotonic())
        fresh = [r for r, s, _, _ in found if s == "running" and time.monotonic() - first_seen[r] < 0.02]
        if done >= 2 and fresh:  # seen running within the last poll: its computation has just begun
            time.sleep(0.05)
            process.send_signal(how)
            process.communicate(timeout=60)
            return fresh[0]
        time.sleep(0.005)
    raise AssertionError(f"the backfill never computed a third window: {runs(engine)}")


def assert_every_window_once(engine: sa.Engine) -> list[tuple[int, str, int, str | None]]:
    found = runs(engine)
    assert len(found) == DAYS and {status for _, status, _, _ in found} == {"succeeded"}
    with engine.connect() as connection:
        per_run = dict(
            connection.execute(
                sa.select(DriftResultRow.run_id, sa.func.count()).group_by(DriftResultRow.run_id)
            ).all()
        )
        fired = connection.scalar(sa.select(AlertRow.fired_at).where(AlertRow.rule == "drift"))
    assert set(per_run.values()) == {4}, per_run  # x and y by ks and psi, in every window, once
    assert fired is not None  # drift from day 6 fired the alert
    return found


def test_a_backfill_killed_mid_window_is_taken_over_after_its_lease(
    slow_monitor: Path, database: sa.Engine
) -> None:
    first = backfill(slow_monitor)
    killed = stop_mid_window(first, database, signal.SIGKILL)
    assert (killed, "running") in [(run_id, status) for run_id, status, _, _ in runs(database)]
    time.sleep(LEASE_SECONDS + 0.5)  # the dead process's lease runs out
    second = backfill(slow_monitor)
    output, _ = second.communicate(timeout=180)
    assert second.returncode == 0, output
    found = assert_every_window_once(database)
    assert [(a, reason) for run_id, _, a, reason in found if run_id == killed] == [(2, "lease_expired")]
    assert "taken over: the process computing it had stopped" in output


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_backfill_leaves_its_window_abandoned_and_retried(
    slow_monitor: Path, database: sa.Engine, how: signal.Signals
) -> None:
    first = backfill(slow_monitor)
    stopped = stop_mid_window(first, database, how)
    assert first.returncode in (130, 128 + how)
    with database.connect() as connection:
        status, error = connection.execute(
            sa.select(RunRow.status, RunRow.error).where(RunRow.id == stopped)
        ).one()
    assert status == "failed" and (error or "").startswith("abandoned: the process was stopped")
    second = backfill(slow_monitor)  # at once: an abandoned window waits for no lease
    output, _ = second.communicate(timeout=180)
    assert second.returncode == 0, output
    found = assert_every_window_once(database)
    assert [(a, reason) for run_id, _, a, reason in found if run_id == stopped] == [(2, "retry")]
