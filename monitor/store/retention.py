"""Pruning old data, one bounded batch per call and per transaction, so that pruning a large backlog
never holds long locks against runs and ingestion. Each function returns how much it removed: the
caller repeats it until that is 0."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, not_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from monitor.store.label_tables import LabelRow
from monitor.store.tables import (
    DeliveryAttemptRow,
    DriftResultRow,
    IngestedLabelRow,
    IngestedPredictionRow,
    MetricValueRow,
    OutboxRow,
    QualityResultRow,
    RunRow,
)

# A run holds about one drift row per column; this many runs per batch keeps a batch near batch_size rows.
_ROWS_PER_RUN = 50


def ingested_models(*, session: Session) -> list[str]:
    """Every model that has pushed rows, configured or not any more."""
    predictions = select(IngestedPredictionRow.model).distinct()
    labels = select(IngestedLabelRow.model).distinct()
    return sorted(set(session.scalars(predictions)) | set(session.scalars(labels)))


def prune_predictions(
    factory: sessionmaker[Session],
    *,
    model: str,
    before: datetime,
    keep: Sequence[tuple[datetime, datetime]],
    batch: int,
) -> int:
    """Deletes up to `batch` predictions of `model` made before `before`, outside every kept [start, end)
    period, with their labels. Returns how many rows (predictions and labels) went."""
    outside: list[ColumnElement[bool]] = [
        not_(and_(IngestedPredictionRow.time >= start, IngestedPredictionRow.time < end))
        for start, end in keep
    ]
    with factory() as session, session.begin():
        found = session.execute(
            select(IngestedPredictionRow.id, IngestedPredictionRow.prediction_id)
            .where(IngestedPredictionRow.model == model, IngestedPredictionRow.time < before, *outside)
            .order_by(IngestedPredictionRow.time)
            .limit(batch)
        ).all()
        if not found:
            return 0
        labels = session.execute(
            delete(IngestedLabelRow).where(
                IngestedLabelRow.model == model,
                IngestedLabelRow.prediction_id.in_([prediction_id for _, prediction_id in found]),
            )
        )
        session.execute(
            delete(IngestedPredictionRow).where(IngestedPredictionRow.id.in_([i for i, _ in found]))
        )
    return len(found) + int(getattr(labels, "rowcount", 0) or 0)


def prune_orphan_labels(factory: sessionmaker[Session], *, model: str, before: datetime, batch: int) -> int:
    """Deletes up to `batch` labels of `model` known before `before` whose prediction is not stored
    (never pushed, or pruned already)."""
    predicted = exists().where(
        IngestedPredictionRow.model == IngestedLabelRow.model,
        IngestedPredictionRow.prediction_id == IngestedLabelRow.prediction_id,
    )
    with factory() as session, session.begin():
        ids = session.scalars(
            select(IngestedLabelRow.id)
            .where(IngestedLabelRow.model == model, IngestedLabelRow.labelled_at < before, ~predicted)
            .limit(batch)
        ).all()
        if ids:
            session.execute(delete(IngestedLabelRow).where(IngestedLabelRow.id.in_(ids)))
    return len(ids)


def prune_pulled_labels(factory: sessionmaker[Session], *, before: datetime, batch: int) -> int:
    """Deletes up to `batch` labels pulled from label sources that became known before `before`: their
    windows are final (retention ages are above a window plus its label horizon)."""
    with factory() as session, session.begin():
        ids = session.scalars(select(LabelRow.id).where(LabelRow.labelled_at < before).limit(batch)).all()
        if ids:
            session.execute(delete(LabelRow).where(LabelRow.id.in_(ids)))
    return len(ids)


def prune_raw_results(factory: sessionmaker[Session], *, before: datetime, batch: int, now: datetime) -> int:
    """Removes the raw results of up to batch/50 finished windows that ended before `before` and marks
    them pruned: bin and category counts, quality checks without a finding, superseded metric versions.
    Returns how many runs were pruned."""
    with factory() as session, session.begin():
        run_ids = session.scalars(
            select(RunRow.id)
            .where(RunRow.window_end < before, RunRow.pruned_at.is_(None), RunRow.status != "running")
            .order_by(RunRow.window_end)
            .limit(max(1, batch // _ROWS_PER_RUN))
        ).all()
        if not run_ids:
            return 0
        session.execute(update(DriftResultRow).where(DriftResultRow.run_id.in_(run_ids)).values(details={}))
        session.execute(
            delete(QualityResultRow).where(
                QualityResultRow.run_id.in_(run_ids), QualityResultRow.finding.is_(False)
            )
        )
        newer = aliased(MetricValueRow)
        superseded = exists().where(
            newer.run_id == MetricValueRow.run_id,
            newer.metric == MetricValueRow.metric,
            newer.version > MetricValueRow.version,
        )
        session.execute(delete(MetricValueRow).where(MetricValueRow.run_id.in_(run_ids), superseded))
        session.execute(update(RunRow).where(RunRow.id.in_(run_ids)).values(pruned_at=now))
    return len(run_ids)


def prune_delivery_log(factory: sessionmaker[Session], *, before: datetime, batch: int) -> int:
    """Deletes up to `batch` delivered or dead notifications written before `before`, with their
    delivery attempts. Pending ones are never pruned, however old: they still have to go out."""
    with factory() as session, session.begin():
        ids = session.scalars(
            select(OutboxRow.id)
            .where(OutboxRow.status.in_(("delivered", "dead")), OutboxRow.created_at < before)
            .order_by(OutboxRow.created_at)
            .limit(batch)
        ).all()
        if ids:
            session.execute(delete(DeliveryAttemptRow).where(DeliveryAttemptRow.outbox_id.in_(ids)))
            session.execute(delete(OutboxRow).where(OutboxRow.id.in_(ids)))
    return len(ids)
