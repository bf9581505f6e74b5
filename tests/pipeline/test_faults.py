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

import pytest
import sqlalchemy as sa

from monitor.store.tables import AlertRow, DriftResultRow, RunRow
from tests.conftest import DAY0, ConfigFactory, xy_monitor_config
from tests.pipeline.faults import RunState, runs, stop_mid_window, write_xy_log

DAYS = 8
ROWS_PER_DAY = 60_000
# The window the tests stop (the third: they signal after two succeeded) holds far more rows, so it
# runs for seconds and the signal, sent 50 ms after it is seen running, lands inside it however busy
# the machine is; with every day slow, a signal could land after a quick window had committed.
STOPPED_DAY, STOPPED_DAY_ROWS = 2, 3_000_000
LEASE_SECONDS = 2


@pytest.fixture
def slow_monitor(tmp_path: Path, db_url: str, write_config: ConfigFactory) -> Path:
    write_xy_log(
        tmp_path,
        DAY0,
        days=DAYS,
        rows_per_day=ROWS_PER_DAY,
        drift_from_day=4,
        seed=5,
        slow_day=STOPPED_DAY,
        slow_rows=STOPPED_DAY_ROWS,
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


def assert_every_window_once(engine: sa.Engine) -> list[RunState]:
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
    assert fired is not None  # drift from day 4 fired the alert
    return found


def test_a_backfill_killed_mid_window_is_taken_over_after_its_lease(
    slow_monitor: Path, database: sa.Engine
) -> None:
    first = backfill(slow_monitor)
    killed = stop_mid_window(first, database, signal.SIGKILL, after=STOPPED_DAY)
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
    stopped = stop_mid_window(first, database, how, after=STOPPED_DAY)
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
