"""Windows finished out of order (another instance still computing an earlier one) are judged in
window order: the later windows wait with their stored facts, and the alert fires on the right one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.store import claims
from monitor.store.monitors import monitor_id
from monitor.store.tables import AlertEventRow, MonitorRow, OutboxRow
from monitor.windows import Window
from tests.conftest import DAY0, RuntimeFactory, monitor_config

DAY = timedelta(days=1)
NOW = DAY0 + 10 * DAY


def day(n: int) -> Window:
    return Window(DAY0 + n * DAY, DAY0 + (n + 1) * DAY)


def events(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        rows = session.execute(
            sa.select(AlertEventRow.event, AlertEventRow.window_end).order_by(AlertEventRow.id)
        )
        return [(event, end.date().isoformat() if end else "") for event, end in rows]


def test_windows_stored_ahead_of_an_unfinished_one_are_judged_after_it_in_order(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    runtime = make_runtime(monitor_config(db_url))  # drift from day 2; the rule fires on 2 drifting days
    assert pipeline.run_monitor(runtime, "m", day(0), now=NOW).status == "succeeded"
    with runtime.sessions() as session:
        mid = monitor_id(session=session, name="m")
    assert mid is not None
    # Another instance claimed day 1 and has not finished it (its lease runs out at NOW - 1 h).
    stuck = claims.claim_run(
        runtime.sessions,
        monitor_id=mid,
        start=day(1).start,
        end=day(1).end,
        trigger="schedule",
        now=NOW - 2 * DAY,
    )
    assert stuck.run_id is not None
    later = [pipeline.run_monitor(runtime, "m", day(n), now=NOW) for n in (2, 3)]
    assert [(o.status, o.alerts_fired) for o in later] == [("succeeded", ()), ("succeeded", ())]
    assert events(runtime) == []  # days 2 and 3 wait: day 1 is not judged yet
    with runtime.sessions() as session:
        assert session.scalar(sa.select(MonitorRow.judged_through)) == day(0).end
    # Day 1's lease ran out: it is taken over and computed, and days 1, 2 and 3 are judged in order.
    taken = pipeline.run_monitor(runtime, "m", day(1), now=NOW)
    assert taken.reason == "lease_expired"
    assert taken.alerts_fired == (f"drift (window {day(3).label()})",)
    assert events(runtime) == [("pending", "2026-06-04"), ("fired", "2026-06-05"), ("notified", "2026-06-05")]
    with runtime.sessions() as session:
        (message,) = session.scalars(sa.select(OutboxRow)).all()
        assert session.scalar(sa.select(MonitorRow.judged_through)) == day(3).end
    assert message.payload["window"]["end"] == day(3).end.isoformat()
