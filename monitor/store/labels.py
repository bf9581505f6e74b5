"""Reads and writes of the label stream: the labels pulled so far, the monitor's watermark, the ids of
each window's predictions, and which windows have labels their latest metrics do not count yet.
Keyword-only sessions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.store import bulk_labels
from monitor.store.bulk_labels import LabelColumns as LabelColumns
from monitor.store.bulk_labels import StoredLabel as StoredLabel
from monitor.store.label_tables import LabelRow, WindowIdRow
from monitor.store.tables import MonitorRow, RunRow

_CHUNK = 500  # rows per statement: below SQLite's bound-parameter limit with every column


@dataclass(frozen=True)
class LabelledRun:
    """A computed window that may still get labels, and what its latest metrics counted."""

    run_id: int
    start: datetime
    end: datetime
    labels_as_of: datetime | None
    labels_pulled_through: datetime | None


def watermark(*, session: Session, monitor_id: int) -> datetime | None:
    return session.scalar(select(MonitorRow.label_watermark).where(MonitorRow.id == monitor_id))


def set_watermark(*, session: Session, monitor_id: int, through: datetime) -> None:
    """Moves the watermark forward only: two schedulers pulling at once never move it back."""
    session.execute(
        update(MonitorRow)
        .where(
            MonitorRow.id == monitor_id,
            or_(MonitorRow.label_watermark.is_(None), MonitorRow.label_watermark < through),
        )
        .values(label_watermark=through)
    )


def upsert_labels(
    *,
    session: Session,
    monitor_id: int,
    labels: Sequence[tuple[str, Any, datetime]],
    pulled_through: datetime,
) -> None:
    """Stores (id, value, labelled_at) rows; a label pulled again replaces the stored one only when its
    value changed (a correction), so re-reading an overlap changes nothing."""
    if not labels:
        return
    dialect = session.get_bind().dialect.name
    statement: Any = (pg_insert if dialect == "postgresql" else sqlite_insert)(LabelRow)
    upsert = statement.on_conflict_do_update(
        index_elements=["monitor_id", "join_id"],
        set_={
            "value": statement.excluded.value,
            "labelled_at": statement.excluded.labelled_at,
            "pulled_through": statement.excluded.pulled_through,
        },
        # PostgreSQL's json has no equality: compare the texts.
        where=cast(LabelRow.value, Text) != cast(statement.excluded.value, Text),
    )
    rows = [
        {
            "monitor_id": monitor_id,
            "join_id": j,
            "value": v,
            "labelled_at": at,
            "pulled_through": pulled_through,
        }
        for j, v, at in labels
    ]
    # One statement compiled once, its rows sent in batches (SQLAlchemy's insertmanyvalues).
    session.execute(upsert, rows)


def labels_of_ids(*, session: Session, monitor_id: int, ids: Sequence[str]) -> list[StoredLabel]:
    """The stored labels of these prediction ids (a window not yet stored)."""
    return label_columns_of_ids(session=session, monitor_id=monitor_id, ids=ids).labels()


def label_columns_of_ids(*, session: Session, monitor_id: int, ids: Sequence[str]) -> LabelColumns:
    """The stored labels of these prediction ids, as columns, in one bulk lookup (bulk_labels.py)."""
    return bulk_labels.labels_of_ids(session, monitor_id, ids)


def labels_of_run(*, session: Session, run_id: int) -> list[StoredLabel]:
    """The stored labels of a stored window's predictions."""
    rows = session.execute(
        select(LabelRow.join_id, LabelRow.value, LabelRow.labelled_at, LabelRow.pulled_through)
        .join(
            WindowIdRow,
            (WindowIdRow.monitor_id == LabelRow.monitor_id) & (WindowIdRow.join_id == LabelRow.join_id),
        )
        .where(WindowIdRow.run_id == run_id)
    )
    return [StoredLabel(*row) for row in rows]


def run_checkpoint(*, session: Session, run_id: int) -> datetime | None:
    """The label checkpoint of the run's latest metrics (None: never computed with labels)."""
    return session.scalar(select(RunRow.labels_as_of).where(RunRow.id == run_id))


def save_window_ids(*, session: Session, run_id: int, monitor_id: int, ids: Iterable[str]) -> None:
    """The window's prediction ids (each once), replacing those of an earlier computation of it."""
    clear_window_ids(session=session, run_id=run_id)
    bulk_labels.insert_window_ids(session, run_id, monitor_id, list(ids))


def clear_window_ids(*, session: Session, run_id: int) -> None:
    """Forgets the run's prediction ids (before they are stored again, whole or piece by piece)."""
    # The run's row locked first (as storing results locks it): two saves of one run's ids (a label
    # pass adopting it while another does) take turns instead of colliding on the key or deadlocking.
    session.execute(select(RunRow.id).where(RunRow.id == run_id).with_for_update())
    session.execute(delete(WindowIdRow).where(WindowIdRow.run_id == run_id))


def add_window_ids(*, session: Session, run_id: int, monitor_id: int, ids: Sequence[str]) -> None:
    """Adds the ids of one piece of the run's window beside those of other pieces (each id once)."""
    bulk_labels.add_window_ids(session, run_id, monitor_id, ids)


def runs_with_uncounted_labels(
    *, session: Session, monitor_id: int, ended_after: datetime | None, as_of: datetime
) -> list[LabelledRun]:
    """Succeeded windows ending after `ended_after` holding a label known before `as_of` that their
    latest metrics did not count: newer than their checkpoint, or pulled after they were computed."""
    uncounted = (
        select(WindowIdRow.run_id)
        .join(
            LabelRow,
            (LabelRow.monitor_id == WindowIdRow.monitor_id) & (LabelRow.join_id == WindowIdRow.join_id),
        )
        .where(
            WindowIdRow.run_id == RunRow.id,
            LabelRow.labelled_at < as_of,
            or_(
                RunRow.labels_as_of.is_(None),
                LabelRow.labelled_at >= RunRow.labels_as_of,
                RunRow.labels_pulled_through.is_(None),
                LabelRow.pulled_through > RunRow.labels_pulled_through,
            ),
        )
        .exists()
    )
    rows = session.execute(
        select(
            RunRow.id,
            RunRow.window_start,
            RunRow.window_end,
            RunRow.labels_as_of,
            RunRow.labels_pulled_through,
        )
        .where(
            RunRow.monitor_id == monitor_id,
            RunRow.status == "succeeded",
            RunRow.window_end > (ended_after or datetime.min.replace(tzinfo=UTC)),
            uncounted,
        )
        .order_by(RunRow.window_end, RunRow.window_start)
    )
    return [LabelledRun(*row) for row in rows]


def runs_without_ids(*, session: Session, monitor_id: int, ended_after: datetime) -> list[LabelledRun]:
    """Succeeded windows within the horizon computed before the label stream existed (an upgrade):
    no prediction ids stored, nothing counted as of a checkpoint."""
    has_ids = select(WindowIdRow.run_id).where(WindowIdRow.run_id == RunRow.id).exists()
    rows = session.execute(
        select(
            RunRow.id,
            RunRow.window_start,
            RunRow.window_end,
            RunRow.labels_as_of,
            RunRow.labels_pulled_through,
        ).where(
            RunRow.monitor_id == monitor_id,
            RunRow.status == "succeeded",
            RunRow.window_end > ended_after,
            RunRow.labels_as_of.is_(None),
            RunRow.labels_pulled_through.is_(None),
            ~has_ids,
        )
    )
    return [LabelledRun(*row) for row in rows]


def adopt(
    *, session: Session, run_id: int, monitor_id: int, ids: Iterable[str] | None, pulled_through: datetime
) -> None:
    """Gives an older window its prediction ids (None: a cluster's workers stored them); every label
    of it counts as new."""
    if ids is not None:
        save_window_ids(session=session, run_id=run_id, monitor_id=monitor_id, ids=ids)
    session.execute(update(RunRow).where(RunRow.id == run_id).values(labels_pulled_through=pulled_through))


def mark_counted(
    *,
    session: Session,
    run_id: int,
    as_of: datetime,
    pulled_through: datetime,
    labelled_count: int,
    now: datetime,
) -> None:
    session.execute(
        update(RunRow)
        .where(RunRow.id == run_id)
        .values(
            labels_as_of=as_of,
            labels_pulled_through=pulled_through,
            labelled_count=labelled_count,
            metrics_checked_at=now,
        )
    )


def forget_final_windows(*, session: Session, monitor_id: int, ended_before: datetime) -> int:
    """Drops the prediction ids of windows past the label horizon: their metrics are final."""
    finished = select(RunRow.id).where(RunRow.monitor_id == monitor_id, RunRow.window_end <= ended_before)
    result = session.execute(
        delete(WindowIdRow).where(WindowIdRow.monitor_id == monitor_id, WindowIdRow.run_id.in_(finished))
    )
    return int(getattr(result, "rowcount", 0) or 0)
