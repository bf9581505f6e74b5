"""The heartbeat renews a run's lease while it computes; a renewal refused because another process
took the claim over is reported, one refused because the attempt's own commit released it is not."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from monitor.pipeline.heartbeat import Heartbeat
from monitor.pipeline.runtime import Runtime
from monitor.store import claims
from monitor.store.monitors import monitor_id
from monitor.store.tables import RunRow
from tests.conftest import DAY0, RuntimeFactory, xy_monitor_config

LEASE = timedelta(seconds=1.5)  # a beat every 0.5 s


def claimed(make_runtime: RuntimeFactory, db_url: str) -> tuple[Runtime, claims.Claim]:
    runtime = make_runtime(xy_monitor_config(db_url, monitor={}))
    with runtime.sessions() as session:
        mid = monitor_id(session=session, name="m")
    assert mid is not None
    claim = claims.claim_run(
        runtime.sessions,
        monitor_id=mid,
        start=DAY0,
        end=DAY0 + timedelta(days=1),
        trigger="schedule",
        now=datetime.now(UTC),
        leasing=claims.Leasing(lease=LEASE),
    )
    assert claim.run_id is not None
    return runtime, claim


def lease_and_token(runtime: Runtime, run_id: int) -> tuple[datetime | None, str | None]:
    with runtime.sessions() as session:
        row = session.get(RunRow, run_id)
        assert row is not None
        return row.lease_until, row.claim_token


def set_run(runtime: Runtime, run_id: int, **values: object) -> None:
    with runtime.sessions() as session, session.begin():
        session.execute(sa.update(RunRow).where(RunRow.id == run_id).values(**values))


def beat(runtime: Runtime, claim: claims.Claim) -> Heartbeat:
    assert claim.run_id is not None
    sessions = runtime.sessions
    return Heartbeat(
        sessions, run_id=claim.run_id, token=claim.token, lease=LEASE, clock=lambda: datetime.now(UTC)
    )


def eventually(condition: Callable[[], bool]) -> bool:
    """Polls `condition` until it holds, for a generous while: no test waits on a fixed sleep."""
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_heartbeat_renews_the_lease_and_reports_a_takeover(
    make_runtime: RuntimeFactory, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    runtime, claim = claimed(make_runtime, db_url)
    assert claim.run_id is not None
    run_id = claim.run_id
    first, _ = lease_and_token(runtime, run_id)
    assert first is not None
    with caplog.at_level(logging.WARNING), beat(runtime, claim) as heart:
        assert eventually(lambda: (lease_and_token(runtime, run_id)[0] or first) > first)
        set_run(runtime, run_id, claim_token="another-process")
        assert eventually(lambda: heart.lost)
    assert not heart.released
    assert f"run {run_id}: its claim was taken over" in caplog.text


def test_a_run_that_stored_its_results_is_not_reported_as_taken_over(
    make_runtime: RuntimeFactory, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    runtime, claim = claimed(make_runtime, db_url)
    assert claim.run_id is not None
    with caplog.at_level(logging.WARNING), beat(runtime, claim) as heart:
        heart.storing()
        set_run(runtime, claim.run_id, status="succeeded", claim_token=None, lease_until=None)
        assert eventually(lambda: heart.released)  # a beat after the commit was refused, quietly
    assert not heart.lost
    assert "taken over" not in caplog.text
