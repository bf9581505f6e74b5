"""The bulk label lookup and the bulk storing of a window's ids, on SQLite and PostgreSQL: ids absent,
given twice, or holding quotes, backslashes, JSON-like text and non-ASCII characters."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from monitor.store import labels as label_store
from monitor.store import make_engine, make_session_factory, transaction
from monitor.store.claims import Leasing, claim_run
from monitor.store.engine import upgrade_database
from monitor.store.label_tables import WindowIdRow
from monitor.store.monitors import sync_monitor

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ODD_IDS = [
    "plain",
    'with "double" quotes',
    "it's",
    "back\\slash",
    '["not", "an array"]',
    "tab\tand\nnewline",
    "é 😀 \u2028 中文",
    "42",
    " leading space",
]
VALUES: list[Any] = [1, 0, "yes", 2.5, True, None, {"a": [1, 2]}, "", -7]
TIMES = [T0 + timedelta(seconds=i) for i in range(len(ODD_IDS))]
PULLED = T0 + timedelta(hours=1)


@pytest.fixture
def store(db_url: str) -> Iterator[tuple[sa.orm.sessionmaker[sa.orm.Session], int, int]]:
    """A database with one monitor, its labels (one per odd id, plus one of another monitor) and a run."""
    upgrade_database(db_url)
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        mid = sync_monitor(session=session, name="m", model="m", config_hash="h", now=T0)
        other = sync_monitor(session=session, name="other", model="o", config_hash="h", now=T0)
        rows = [
            (j, v, T0 + timedelta(seconds=i)) for i, (j, v) in enumerate(zip(ODD_IDS, VALUES, strict=True))
        ]
        label_store.upsert_labels(
            session=session, monitor_id=mid, labels=rows, pulled_through=T0 + timedelta(hours=1)
        )
        label_store.upsert_labels(
            session=session, monitor_id=other, labels=[("absent", 1, T0)], pulled_through=T0
        )
    claim = claim_run(
        sessions,
        monitor_id=mid,
        start=T0 - timedelta(days=1),
        end=T0,
        trigger="manual",
        now=T0,
        recompute=False,
        leasing=Leasing(lease=timedelta(minutes=2), max_attempts=3),
    )
    assert claim.run_id is not None
    yield sessions, mid, claim.run_id
    engine.dispose()


def test_lookup_finds_each_stored_label_once_and_nothing_else(
    store: tuple[sa.orm.sessionmaker[sa.orm.Session], int, int],
) -> None:
    sessions, mid, _ = store
    # Every id twice, in reverse, with ids never labelled and one labelled only for another monitor.
    asked = [*reversed(ODD_IDS), *ODD_IDS, "absent", "never", 'never "quoted"']
    with sessions() as session:
        found = label_store.labels_of_ids(session=session, monitor_id=mid, ids=asked)
        columns = label_store.label_columns_of_ids(session=session, monitor_id=mid, ids=asked)
    expected = {
        j: (v, T0 + timedelta(seconds=i)) for i, (j, v) in enumerate(zip(ODD_IDS, VALUES, strict=True))
    }
    assert sorted(x.join_id for x in found) == sorted(ODD_IDS)
    assert {x.join_id: (x.value, x.labelled_at) for x in found} == expected
    assert {x.pulled_through for x in found} == {PULLED}
    assert all(x.labelled_at.utcoffset() == timedelta(0) for x in found)
    assert len(columns) == len(ODD_IDS)
    as_columns = dict(zip(columns.join_ids.to_pylist(), columns.values, strict=True))
    assert as_columns == {j: v for j, (v, _) in expected.items()}


def test_lookup_of_no_ids_or_only_absent_ones_is_empty(
    store: tuple[sa.orm.sessionmaker[sa.orm.Session], int, int],
) -> None:
    sessions, mid, _ = store
    with sessions() as session:
        assert label_store.labels_of_ids(session=session, monitor_id=mid, ids=[]) == []
        assert label_store.labels_of_ids(session=session, monitor_id=mid, ids=["absent", "x"]) == []
        # Twice in one transaction: the temporary table of the first lookup is gone.
        assert len(label_store.labels_of_ids(session=session, monitor_id=mid, ids=ODD_IDS[:2])) == 2


def test_window_ids_are_stored_once_each_and_replaced_on_recompute(
    store: tuple[sa.orm.sessionmaker[sa.orm.Session], int, int],
) -> None:
    sessions, mid, run_id = store
    with transaction(sessions) as session:
        label_store.save_window_ids(session=session, run_id=run_id, monitor_id=mid, ids=[*ODD_IDS, *ODD_IDS])
    with sessions() as session:
        stored = session.scalars(sa.select(WindowIdRow.join_id).where(WindowIdRow.run_id == run_id)).all()
        assert sorted(stored) == sorted(ODD_IDS)
        labels = label_store.labels_of_run(session=session, run_id=run_id)
        assert sorted(x.join_id for x in labels) == sorted(ODD_IDS)
    with transaction(sessions) as session:
        label_store.save_window_ids(session=session, run_id=run_id, monitor_id=mid, ids=["new", "it's"])
        label_store.save_window_ids(session=session, run_id=run_id, monitor_id=mid, ids=["new", "it's"])
    with sessions() as session:
        stored = session.scalars(sa.select(WindowIdRow.join_id).where(WindowIdRow.run_id == run_id)).all()
        assert sorted(stored) == ["it's", "new"]
    with transaction(sessions) as session:
        label_store.save_window_ids(session=session, run_id=run_id, monitor_id=mid, ids=[])
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(WindowIdRow)) == 0


def test_an_id_with_a_nul_is_refused(store: tuple[sa.orm.sessionmaker[sa.orm.Session], int, int]) -> None:
    """PostgreSQL's text cannot hold it; SQLite's JSON functions would cut the id there."""
    sessions, mid, run_id = store
    with pytest.raises(ValueError, match="NUL character"), transaction(sessions) as session:
        label_store.save_window_ids(session=session, run_id=run_id, monitor_id=mid, ids=["a\x00b", "a\x00c"])
    with pytest.raises(ValueError, match="NUL character"), sessions() as session:
        label_store.label_columns_of_ids(session=session, monitor_id=mid, ids=["plain\x00x"])


def test_two_saves_of_one_run_take_turns(store: tuple[sa.orm.sessionmaker[sa.orm.Session], int, int]) -> None:
    """The second waits for the first to commit (the run's row is locked first), then replaces its ids."""
    sessions, mid, run_id = store
    first = sessions()
    first.begin()
    label_store.save_window_ids(session=first, run_id=run_id, monitor_id=mid, ids=["x", "y"])
    saved: list[BaseException | None] = []

    def second() -> None:
        try:
            with transaction(sessions) as session:
                label_store.save_window_ids(session=session, run_id=run_id, monitor_id=mid, ids=["x", "y"])
            saved.append(None)
        except BaseException as exc:
            saved.append(exc)

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(timeout=1)  # PostgreSQL: blocked on the run's row; SQLite: on the database's lock
    first.commit()
    first.close()
    worker.join(timeout=60)
    assert saved == [None]
    with sessions() as session:
        stored = session.scalars(sa.select(WindowIdRow.join_id).where(WindowIdRow.run_id == run_id)).all()
    assert sorted(stored) == ["x", "y"]


def test_pieces_of_a_window_add_their_ids_each_once_and_clearing_forgets_them(
    store: tuple[sa.orm.sessionmaker[sa.orm.Session], int, int],
) -> None:
    """As a cluster's workers store a window a piece each: pieces that share ids (the second and the
    third share two with the first) keep each id once, and the other pieces' ids stay."""
    sessions, mid, run_id = store
    pieces = [ODD_IDS[:5], [*ODD_IDS[3:], *ODD_IDS[3:]], [ODD_IDS[0], "only here"]]
    for piece in pieces:
        with transaction(sessions) as session:
            label_store.add_window_ids(session=session, run_id=run_id, monitor_id=mid, ids=piece)

    def stored() -> list[str]:
        with sessions() as session:
            found = session.scalars(sa.select(WindowIdRow.join_id).where(WindowIdRow.run_id == run_id))
            return sorted(found.all())

    assert stored() == sorted([*ODD_IDS, "only here"])
    with transaction(sessions) as session:
        label_store.clear_window_ids(session=session, run_id=run_id)
    assert stored() == []
