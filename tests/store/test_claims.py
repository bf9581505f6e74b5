from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from monitor.store import claims
from monitor.store import monitors as monitor_store
from monitor.store.engine import make_engine, make_session_factory, transaction, upgrade_database
from monitor.store.tables import RunRow

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
START, END = datetime(2026, 4, 30, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade_database(db_url)
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def monitor_id(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        return monitor_store.sync_monitor(
            session=session, name="credit", model="m1", config_hash="h", now=NOW
        )


def claim(sessions: sessionmaker[Session], monitor_id: int, **kw: object) -> claims.Claim:
    args: dict = {
        "monitor_id": monitor_id,
        "start": START,
        "end": END,
        "trigger": "schedule",
        "now": NOW,
        **kw,
    }
    return claims.claim_run(sessions, **args)


def test_a_window_is_claimed_once(sessions: sessionmaker[Session], monitor_id: int) -> None:
    first = claim(sessions, monitor_id)
    second = claim(sessions, monitor_id)
    assert first.reason == "claimed" and first.run_id is not None
    assert second == claims.Claim(None, "running_elsewhere")


def test_succeeded_window_is_skipped_unless_recomputed(
    sessions: sessionmaker[Session], monitor_id: int
) -> None:
    run_id = claim(sessions, monitor_id).run_id
    with transaction(sessions) as session:
        session.get_one(RunRow, run_id).status = "succeeded"
    assert claim(sessions, monitor_id) == claims.Claim(None, "already_succeeded")
    again = claim(sessions, monitor_id, recompute=True)
    assert again == claims.Claim(run_id, "recompute")
    with sessions() as session:
        assert session.get_one(RunRow, run_id).attempts == 2


def test_failed_window_is_retried(sessions: sessionmaker[Session], monitor_id: int) -> None:
    run_id = claim(sessions, monitor_id).run_id
    assert run_id is not None
    claims.mark_run_failed(sessions, run_id=run_id, error="source down", now=NOW)
    retry = claim(sessions, monitor_id, now=NOW + timedelta(minutes=1))
    assert retry == claims.Claim(run_id, "retry")
    with sessions() as session:
        row = session.get_one(RunRow, run_id)
        assert (row.status, row.error, row.attempts) == ("running", None, 2)


def test_a_stale_running_claim_is_taken_over(sessions: sessionmaker[Session], monitor_id: int) -> None:
    run_id = claim(sessions, monitor_id).run_id
    later = claim(sessions, monitor_id, now=NOW + timedelta(hours=2))
    assert later == claims.Claim(run_id, "lease_expired")


def test_timestamps_round_trip_as_utc(sessions: sessionmaker[Session], monitor_id: int) -> None:
    run_id = claim(sessions, monitor_id).run_id
    with sessions() as session:
        row = session.get_one(RunRow, run_id)
        assert row.window_start == START
        assert row.window_end == END
