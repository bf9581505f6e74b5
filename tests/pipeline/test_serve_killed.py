"""`monitor serve` killed with SIGKILL in the middle of a catch-up and started again: the window it was
computing is taken over once its lease runs out, every window ends computed once, none is left
running, and the drift alert fires."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor import pipeline
from monitor.store.tables import AlertRow
from monitor.windows import Window
from tests.conftest import RuntimeFactory, xy_monitor_config
from tests.pipeline.faults import runs, stop_mid_window, write_xy_log
from tests.servers import free_port

DAYS = 10
ROWS_PER_DAY = 60_000
# The window killed (the fourth: after three succeeded) holds far more rows, so the kill lands inside
# it however busy the machine is (see tests/pipeline/test_faults.py).
KILLED_DAY, KILLED_DAY_ROWS = 3, 2_500_000


def serve(config: Path, log: Path) -> subprocess.Popen[bytes]:
    monitor = Path(sys.executable).with_name("monitor")
    with log.open("a") as out:
        return subprocess.Popen(
            [str(monitor), "serve", "--config", str(config), "--port", str(free_port())],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.postgres
def test_a_killed_serve_leaves_its_window_to_the_next_one(
    postgres_url: str, tmp_path: Path, make_runtime: RuntimeFactory
) -> None:
    first = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS)
    write_xy_log(
        tmp_path,
        first,
        days=DAYS,
        rows_per_day=ROWS_PER_DAY,
        drift_from_day=5,
        seed=2,
        slow_day=KILLED_DAY,
        slow_rows=KILLED_DAY_ROWS,
    )
    data = xy_monitor_config(
        postgres_url,
        monitor={
            "schedule": {"delay": "0s"},
            "drift": {"tests": ["ks", "psi"], "drift_share": 0.4},
            "alerts": [{"name": "drift", "signal": "drift_share", "threshold": 0.4, "notify": ["log"]}],
        },
        notifiers={"log": {"type": "log"}},
        runs={"lease": "2s", "tick_interval": "1s"},
    )
    runtime = make_runtime(data)
    assert (
        pipeline.run_monitor(runtime, "m", Window(first, first + timedelta(days=1)), now=first).status
        == "succeeded"
    )
    runtime.close()
    config, log = tmp_path / "config.yaml", tmp_path / "serve.log"
    engine = sa.create_engine(postgres_url)
    first_serve = serve(config, log)
    try:
        killed = stop_mid_window(first_serve, engine, signal.SIGKILL, after=KILLED_DAY)
        assert (killed, "running") in [(r, s) for r, s, _, _ in runs(engine)]
        second_serve = serve(config, log)
        try:
            deadline = time.monotonic() + 120
            found = runs(engine)
            while time.monotonic() < deadline and not (
                len(found) == DAYS and all(s == "succeeded" for _, s, _, _ in found)
            ):
                assert second_serve.poll() is None, "the restarted service died"
                time.sleep(0.5)
                found = runs(engine)
        finally:
            second_serve.terminate()
            second_serve.wait(timeout=30)
        with engine.connect() as connection:
            fired = connection.scalar(sa.select(AlertRow.fired_at).where(AlertRow.rule == "drift"))
    finally:
        if first_serve.poll() is None:
            first_serve.kill()
            first_serve.wait()
        engine.dispose()
    assert len(found) == DAYS and {s for _, s, _, _ in found} == {"succeeded"}, found
    assert [(a, reason) for run_id, _, a, reason in found if run_id == killed] == [(2, "lease_expired")]
    assert fired is not None
