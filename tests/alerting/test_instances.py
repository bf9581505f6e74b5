"""Two and three `monitor serve` processes on one PostgreSQL database catch up the same 30 windows,
with drift planted so that every window changes the alert: each window is computed once, and Slack (a
real HTTP server here) receives every FIRING and RESOLVED exactly once, in order, and nothing else."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor import pipeline
from monitor.store.tables import AlertEventRow, RunRow
from monitor.windows import Window
from tests.alerting.fixtures import SLACK_HOOK_SECRET
from tests.conftest import ConfigFactory, RuntimeFactory, xy_monitor_config
from tests.notify.servers import FakeSlack
from tests.servers import free_port

WINDOWS = 30
ROWS = 400  # per hourly window


def planted_log(directory: Path, first: datetime) -> None:
    """Hourly windows from `first`: the first is calm, then drifting and calm alternate."""
    rng = np.random.default_rng(3)
    frames = []
    for hour in range(WINDOWS + 1):
        drifting = hour % 2 == 1
        frames.append(
            pd.DataFrame(
                {
                    "timestamp": first
                    + timedelta(hours=hour)
                    + pd.to_timedelta(np.linspace(0, 3599, ROWS), "s"),
                    "x": rng.normal(3.0 if drifting else 0.0, 1.0, ROWS),
                    "y": rng.normal(0.0, 1.0, ROWS),
                }
            )
        )
    pd.concat(frames, ignore_index=True).to_parquet(directory / "predictions.parquet")
    pd.DataFrame({"x": rng.normal(0, 1, 5000), "y": rng.normal(0, 1, 5000)}).to_parquet(
        directory / "reference.parquet"
    )


@pytest.mark.postgres
@pytest.mark.parametrize("instances", [2, 3])
def test_several_instances_send_every_transition_once(
    instances: int,
    postgres_url: str,
    tmp_path: Path,
    write_config: ConfigFactory,
    make_runtime: RuntimeFactory,
    fake_slack: FakeSlack,
) -> None:
    now = datetime.now(UTC)
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=WINDOWS + 1)
    planted_log(tmp_path, first)
    data = xy_monitor_config(
        postgres_url,
        monitor={
            "window": {"size": "1h"},
            "schedule": {"delay": "0s"},
            # PSI: a calm window's chance deviations stay far below 0.2, so only planted drift flips it.
            "drift": {"tests": ["psi"], "drift_share": 0.4},
            "alerts": [{"name": "drift", "signal": "drift_share", "threshold": 0.4, "notify": ["slack"]}],
        },
        notifiers={"slack": {"type": "slack", "webhook_url": fake_slack.add_hook(SLACK_HOOK_SECRET)}},
    )
    runtime = make_runtime(data, now=now)
    # The monitor has run its first window; the instances then start 30 windows behind.
    seeded = pipeline.run_monitor(
        runtime, "m", Window(first, first + timedelta(hours=1)), now=first + timedelta(hours=1)
    )
    assert seeded.status == "succeeded" and not seeded.alerts_fired
    monitor = Path(sys.executable).with_name("monitor")
    config = tmp_path / "config.yaml"
    logs = [(tmp_path / f"instance-{i}.log").open("w") for i in range(instances)]
    processes = [
        subprocess.Popen(
            [str(monitor), "serve", "--config", str(config), "--port", str(free_port())],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    engine = sa.create_engine(postgres_url)
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and len(fake_slack.delivered()) < WINDOWS:
            assert all(p.poll() is None for p in processes), "an instance exited"
            time.sleep(0.5)
        time.sleep(3)  # anything extra would arrive now
        with engine.connect() as connection:
            found = connection.execute(sa.select(RunRow.window_start, RunRow.status, RunRow.attempts)).all()
            transitions = connection.scalars(
                sa.select(AlertEventRow.event)
                .where(AlertEventRow.event.in_(("fired", "resolved")))
                .order_by(AlertEventRow.window_end)
            ).all()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
        engine.dispose()
    # The instances run on the wall clock: an hour that begins during the test is a new (empty) window.
    planted_end = first + timedelta(hours=WINDOWS + 1)
    planted = [(status, attempts) for start, status, attempts in found if start < planted_end]
    assert len(planted) == WINDOWS + 1 and set(planted) == {("succeeded", 1)}
    assert len(found) - len(planted) <= 1  # the test lasts minutes: at most one hour can begin
    assert transitions == ["fired", "resolved"] * (WINDOWS // 2)  # every window changed the alert once
    heads = [r.json["text"].split()[0] for r in fake_slack.delivered()]
    assert heads == ["[FIRING:1]", "[RESOLVED]"] * (WINDOWS // 2)
    assert len(fake_slack.requests) == WINDOWS  # nothing sent twice, nothing failed
