"""Failed windows are retried by the scheduler after a backoff, every one of them, not only the latest;
a window whose attempts ran out stays failed with its error."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.services import scheduling
from monitor.store.tables import AlertRow, OutboxRow, RunRow
from monitor.windows import Window
from tests.conftest import DAY0, RuntimeFactory, monitor_config

DAY = timedelta(days=1)


@pytest.fixture
def runtime(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> Runtime:
    data = monitor_config(db_url)
    data["runs"] = {"retry_backoff": "10m", "retry_backoff_max": "1h", "max_attempts": 3}
    return make_runtime(data)


def tick_at(runtime: Runtime, moment: datetime) -> scheduling.TickReport:
    runtime.clock = lambda: moment
    return scheduling.tick(runtime, "m")


def runs(runtime: Runtime) -> list[tuple[int, str, int]]:
    with runtime.sessions() as session:
        rows = session.execute(
            sa.select(RunRow.window_start, RunRow.status, RunRow.attempts).order_by(RunRow.window_start)
        )
        return [((start - DAY0).days, status, attempts) for start, status, attempts in rows]


def test_every_window_failed_in_a_catch_up_succeeds_once_the_source_is_back(
    runtime: Runtime, monitor_files: Path
) -> None:
    first = pipeline.run_monitor(runtime, "m", Window(DAY0, DAY0 + DAY), now=DAY0 + DAY)
    assert first.status == "succeeded"
    log = monitor_files / "predictions.parquet"
    log.rename(monitor_files / "away.parquet")  # the source goes down
    outage = DAY0 + 4 * DAY + timedelta(hours=1)
    report = tick_at(runtime, outage)
    assert [o.status for o in report.runs] == ["failed", "failed", "failed"]
    assert runs(runtime) == [(0, "succeeded", 1), (1, "failed", 1), (2, "failed", 1), (3, "failed", 1)]
    (monitor_files / "away.parquet").rename(log)  # back
    assert tick_at(runtime, outage + timedelta(minutes=5)).runs == []  # the backoff has not passed
    report = tick_at(runtime, outage + timedelta(minutes=11))
    assert [(o.window.start - DAY0).days for o in report.runs] == [1, 2, 3]
    assert runs(runtime) == [
        (0, "succeeded", 1),
        (1, "succeeded", 2),
        (2, "succeeded", 2),
        (3, "succeeded", 2),
    ]


def test_a_window_that_keeps_failing_stops_after_its_attempts(runtime: Runtime, monitor_files: Path) -> None:
    (monitor_files / "predictions.parquet").unlink()
    moment = DAY0 + DAY + timedelta(hours=1)
    attempts = []
    for _ in range(6):
        report = tick_at(runtime, moment)
        attempts.append([(o.status, o.reason) for o in report.runs])
        moment += timedelta(hours=2)  # past any backoff
    assert attempts[:3] == [[("failed", "")]] * 3
    assert attempts[3:] == [[]] * 3  # gave up: the scheduler no longer picks it
    assert runs(runtime) == [(0, "failed", 3)]
    with runtime.sessions() as session:
        error = session.scalar(sa.select(RunRow.error))
    assert error is not None and "predictions.parquet" in error


def test_a_window_failing_on_every_attempt_fires_run_failed_and_a_good_window_resolves_it(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    data = monitor_config(db_url)
    data["runs"] = {"retry_backoff": "10m", "max_attempts": 2}
    data["monitors"]["m"]["alerts"] = [{"name": "stuck", "signal": "run_failed", "notify": ["log"]}]
    runtime = make_runtime(data)
    log = monitor_files / "predictions.parquet"
    log.rename(monitor_files / "away.parquet")
    moment = DAY0 + DAY + timedelta(hours=1)
    fired = []
    for _ in range(3):
        tick_at(runtime, moment)
        with runtime.sessions() as session:
            fired.append(session.execute(sa.select(AlertRow.rule, AlertRow.state)).all())
        moment += timedelta(hours=1)
    assert fired == [[], [("stuck", "firing")], [("stuck", "firing")]]  # on the 2nd and last attempt
    with runtime.sessions() as session:
        (message,) = session.scalars(sa.select(OutboxRow)).all()
    assert message.payload["status"] == "firing" and message.payload["window"]["start"] == DAY0.isoformat()
    (monitor_files / "away.parquet").rename(log)
    tick_at(runtime, DAY0 + 2 * DAY + timedelta(hours=1))  # the next window computes: it resolves
    with runtime.sessions() as session:
        assert session.execute(sa.select(AlertRow.rule, AlertRow.state)).all() == [("stuck", "resolved")]
