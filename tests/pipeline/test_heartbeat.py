"""The heartbeat renews a run's lease while it computes; a renewal refused because another process
took the claim over is reported, one refused because the attempt's own commit released it is not."""

from __future__ import annotations

import logging
import time
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


def test_the_heartbeat_renews_the_lease_and_reports_a_takeover(
    make_runtime: RuntimeFactory, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    runtime, claim = claimed(make_runtime, db_url)
    assert claim.run_id is not None
    first, _ = lease_and_token(runtime, claim.run_id)
    with caplog.at_level(logging.WARNING), beat(runtime, claim) as heart:
        time.sleep(1.2)  # two beats
        renewed, _ = lease_and_token(runtime, claim.run_id)
        assert first is not None and renewed is not None and renewed > first
        set_run(runtime, claim.run_id, claim_token="another-process")
        time.sleep(1.2)
        assert heart.lost
    assert f"run {claim.run_id}: its claim was taken over" in caplog.text


def test_a_run_that_stored_its_results_is_not_reported_as_taken_over(
    make_runtime: RuntimeFactory, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    runtime, claim = claimed(make_runtime, db_url)
    assert claim.run_id is not None
    with caplog.at_level(logging.WARNING), beat(runtime, claim) as heart:
        heart.storing()
        set_run(runtime, claim.run_id, status="succeeded", claim_token=None, lease_until=None)
        time.sleep(1.2)  # beats after the commit: refused, since the claim is released
        assert not heart.lost
    assert "taken over" not in caplog.text
