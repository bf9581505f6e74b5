"""The service's PostgreSQL database taken away for several seconds in the middle of a catch-up
(its connections terminated, new ones refused): the service survives, says it is not ready, and every
window ends succeeded exactly once."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from monitor import pipeline
from monitor.store.tables import RunRow
from monitor.windows import Window
from tests.conftest import RuntimeFactory, xy_monitor_config
from tests.pipeline.faults import write_xy_log
from tests.servers import free_port

DAYS = 12
ROWS_PER_DAY = 60_000
OUTAGE_SECONDS = 6


def statuses(engine: sa.Engine) -> list[tuple[str, int]]:
    try:
        with engine.connect() as connection:
            return [(s, a) for s, a in connection.execute(sa.select(RunRow.status, RunRow.attempts))]
    except sa.exc.DBAPIError:
        return []


@pytest.mark.postgres
def test_the_database_away_mid_catch_up(
    postgres_url: str, postgres_admin: sa.Engine, tmp_path: Path, make_runtime: RuntimeFactory
) -> None:
    first = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS)
    write_xy_log(tmp_path, first, days=DAYS, rows_per_day=ROWS_PER_DAY, drift_from_day=None, seed=9)
    data = xy_monitor_config(
        postgres_url,
        monitor={
            "schedule": {"delay": "0s"},
            "drift": {"tests": ["ks", "psi"]},
        },
        runs={"lease": "2s", "tick_interval": "1s", "retry_backoff": "1s"},
    )
    runtime = make_runtime(data)
    assert (
        pipeline.run_monitor(runtime, "m", Window(first, first + timedelta(days=1)), now=first).status
        == "succeeded"
    )
    runtime.close()
    name = sa.make_url(postgres_url).database
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    monitor = Path(sys.executable).with_name("monitor")
    config = tmp_path / "config.yaml"
    process = subprocess.Popen(
        [str(monitor), "serve", "--config", str(config), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    engine = sa.create_engine(postgres_url, pool_pre_ping=True)
    try:
        deadline = time.monotonic() + 60
        while sum(s == "succeeded" for s, _ in statuses(engine)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        engine.dispose()  # our own connections go too
        with postgres_admin.connect() as admin:
            admin.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            admin.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )
        time.sleep(1)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 503
        time.sleep(OUTAGE_SECONDS - 1)
        with postgres_admin.connect() as admin:
            admin.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        deadline = time.monotonic() + 120
        found = statuses(engine)
        while time.monotonic() < deadline and not (
            len(found) == DAYS and all(s == "succeeded" for s, _ in found)
        ):
            assert process.poll() is None, "the service died"
            time.sleep(0.5)
            found = statuses(engine)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
    finally:
        with postgres_admin.connect() as admin:
            admin.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        engine.dispose()
    assert len(found) == DAYS and {s for s, _ in found} == {"succeeded"}, found
