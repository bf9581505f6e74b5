"""Pages of a monitor's runs keyed on window_end, newest first; runs ending together stay on one page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from monitor.store import claims, run_history
from monitor.store import monitors as monitor_store
from monitor.store.engine import make_engine, make_session_factory, transaction, upgrade_database

NOW = datetime(2026, 5, 20, tzinfo=UTC)
DAY = timedelta(days=1)
D0 = datetime(2026, 5, 1, tzinfo=UTC)


def end(day: int) -> datetime:
    return D0 + (day + 1) * DAY


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade_database(db_url)
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def add_run(sessions: sessionmaker[Session], monitor_id: int, start: datetime, stop: datetime) -> int:
    claim = claims.claim_run(
        sessions, monitor_id=monitor_id, start=start, end=stop, trigger="schedule", now=NOW
    )
    assert claim.run_id is not None
    return claim.run_id


@pytest.fixture
def runs(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Five daily windows d0..d4 of "credit", and a 3-day window "w" that ends with d2 (the window size
    was changed once); "other" has runs of its own that no page of "credit" shows."""
    with transaction(sessions) as session:
        credit = monitor_store.sync_monitor(
            session=session, name="credit", model="m", config_hash="h", now=NOW
        )
        other = monitor_store.sync_monitor(session=session, name="other", model="m", config_hash="h", now=NOW)
    made = {f"d{day}": add_run(sessions, credit, D0 + day * DAY, end(day)) for day in range(5)}
    made["w"] = add_run(sessions, credit, D0, end(2))
    for day in range(3):
        add_run(sessions, other, D0 + day * DAY, end(day))
    return made


def page(sessions: sessionmaker[Session], **bounds: Any) -> list[int]:
    with sessions() as session:
        return [r.id for r in run_history.runs_by_window_end(session=session, monitor="credit", **bounds)]


def test_the_first_page_is_the_newest_runs(sessions: sessionmaker[Session], runs: dict[str, int]) -> None:
    assert page(sessions, limit=2) == [runs["d4"], runs["d3"]]
    assert page(sessions, limit=100) == [runs[k] for k in ("d4", "d3", "d2", "w", "d1", "d0")]


def test_before_and_after_are_exclusive_bounds_on_window_end(
    sessions: sessionmaker[Session], runs: dict[str, int]
) -> None:
    assert page(sessions, limit=2, before=end(2)) == [runs["d1"], runs["d0"]]
    assert page(sessions, limit=5, before=end(0)) == []
    # after: the oldest `limit` runs ending after the bound, shown newest first.
    assert page(sessions, limit=2, after=end(2)) == [runs["d4"], runs["d3"]]
    assert page(sessions, limit=1, after=end(2)) == [runs["d3"]]
    assert page(sessions, limit=5, after=end(4)) == []


def test_runs_ending_at_the_same_moment_share_a_page(
    sessions: sessionmaker[Session], runs: dict[str, int]
) -> None:
    assert page(sessions, limit=1, before=end(3)) == [runs["d2"], runs["w"]]
    assert page(sessions, limit=1, after=end(1)) == [runs["d2"], runs["w"]]
    assert page(sessions, limit=3) == [runs["d4"], runs["d3"], runs["d2"], runs["w"]]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7])
def test_following_older_then_newer_visits_every_run_once(
    sessions: sessionmaker[Session], runs: dict[str, int], limit: int
) -> None:
    with sessions() as session:
        older: list[int] = []
        newer: list[int] = []
        bound: datetime | None = None
        while rows := run_history.runs_by_window_end(
            session=session, monitor="credit", limit=limit, before=bound
        ):
            older += [r.id for r in rows]
            bound = rows[-1].window_end
        after = D0
        while rows := run_history.runs_by_window_end(
            session=session, monitor="credit", limit=limit, after=after
        ):
            newer = [r.id for r in rows] + newer
            after = rows[0].window_end
    assert older == newer == [runs[k] for k in ("d4", "d3", "d2", "w", "d1", "d0")]


def test_one_bound_at_a_time(sessions: sessionmaker[Session], runs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="before or after"):
        page(sessions, limit=2, before=end(3), after=end(1))


def test_counts_around_a_page(sessions: sessionmaker[Session], runs: dict[str, int]) -> None:
    with sessions() as session:
        assert run_history.count_runs(session=session, monitor="credit") == 6
        assert run_history.count_runs(session=session, monitor="nobody") == 0
        around = run_history.count_runs_around(
            session=session, monitor="credit", oldest_end=end(2), newest_end=end(3)
        )
    assert around == (2, 1)
