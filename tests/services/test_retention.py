"""Retention passes on both databases: what is too old goes, in batches; what is still needed stays."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from monitor import pipeline
from monitor.clock import advancing
from monitor.pipeline.runtime import Runtime
from monitor.services import scheduling
from monitor.services.retention import prune
from monitor.store import ingest
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
from tests.conftest import DAY0, RuntimeFactory, monitor_config

NOW = DAY0 + timedelta(days=50)
REFERENCE = (DAY0 - timedelta(days=30), DAY0 - timedelta(days=20))


def pushed_config(db_url: str, **retention: Any) -> dict[str, Any]:
    return {
        "database": {"url": db_url},
        "retention": {"ingested_rows": "60d", "batch_size": 2, **retention},
        "monitors": {
            "pushed": {
                "model": "toy",
                "source": {"type": "ingest"},
                "labels": {"source": {"type": "ingest"}},
                "reference": {"type": "period", "start": REFERENCE[0], "end": REFERENCE[1]},
                "schema": {"features": ["x"], "types": {"x": "number", "prediction": "integer"}},
                "metrics": ["accuracy"],
            }
        },
    }


def batch(ids: list[str], times: list[datetime], payloads: list[Any]) -> ingest.PushedRows:
    """Checked rows as the store takes them: times naive UTC, values as JSON text."""
    naive = [t.astimezone(UTC).replace(tzinfo=None) for t in times]
    texts = [json.dumps(p) for p in payloads]
    return ingest.PushedRows(pa.array(ids, pa.string()), pa.array(naive, pa.timestamp("us")), pa.array(texts))


def push(runtime: Runtime, prefix: str, at: datetime, count: int, *, labelled: bool = True) -> None:
    names = [f"{prefix}{i}" for i in range(count)]
    rows = batch(names, [at + timedelta(minutes=i) for i in range(count)], [{"x": i} for i in range(count)])
    ingest.insert_predictions(runtime.sessions, rows, model="toy", now=at)
    if labelled:
        labels = batch(names, [at + timedelta(days=1)] * count, [1] * count)
        ingest.insert_labels(runtime.sessions, labels, model="toy", now=at)


def ids(runtime: Runtime, row: Any) -> set[str]:
    with runtime.sessions() as session:
        return set(session.scalars(sa.select(row.prediction_id)))


def count(runtime: Runtime, row: Any, *where: Any) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(row).where(*where)) or 0)


@pytest.fixture
def pushed(db_url: str, make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(pushed_config(db_url), now=NOW, clock=advancing(NOW))
    push(runtime, "ref", REFERENCE[0] + timedelta(days=1), 3)  # the reference period: kept for ever
    push(runtime, "old", DAY0 - timedelta(days=15), 5)  # older than 60 days: pruned with labels
    push(runtime, "new", DAY0 - timedelta(days=5), 2)  # within 60 days: kept
    stray = batch(["never-predicted-old", "never-predicted-new"], [DAY0 - timedelta(days=40), DAY0], [0, 0])
    ingest.insert_labels(runtime.sessions, stray, model="toy", now=DAY0)
    return runtime


def test_old_pushed_rows_go_with_their_labels_and_the_reference_period_stays(pushed: Runtime) -> None:
    report = prune(pushed)
    kept = {"ref0", "ref1", "ref2", "new0", "new1"}
    assert ids(pushed, IngestedPredictionRow) == kept
    assert ids(pushed, IngestedLabelRow) == kept | {"never-predicted-new"}
    assert report.ingested_rows == 5 + 5 + 1 and report.complete
    assert prune(pushed).ingested_rows == 0  # nothing is left to prune


def test_a_large_backlog_is_pruned_in_bounded_passes(pushed: Runtime) -> None:
    first = prune(pushed, max_batches=1)  # batch_size 2: one batch of predictions, one of orphans
    assert not first.complete and "more remains" in first.summary()
    assert count(pushed, IngestedPredictionRow) == 10 - 2
    while not prune(pushed, max_batches=1).complete:
        pass
    assert count(pushed, IngestedPredictionRow) == 5


def test_null_keeps_pushed_rows_for_ever(db_url: str, make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(pushed_config(db_url, ingested_rows=None), now=NOW, clock=advancing(NOW))
    push(runtime, "old", DAY0 - timedelta(days=15), 3)
    assert prune(runtime).ingested_rows == 0 and count(runtime, IngestedPredictionRow) == 3


def at(make_runtime: RuntimeFactory, runtime: Runtime, *, days: int) -> Runtime:
    """The same service `days` after DAY0."""
    moment = DAY0 + timedelta(days=days)
    return make_runtime(runtime.config, now=moment, clock=advancing(moment))


@pytest.fixture
def backfilled(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> Runtime:
    config = monitor_config(db_url)
    config["retention"] = {"raw_results": "30d", "delivery_log": "30d"}
    runtime = make_runtime(config, now=DAY0 + timedelta(days=5), clock=advancing(DAY0 + timedelta(days=5)))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=5))
    scheduling.deliver(runtime)
    return runtime


def test_raw_results_of_old_windows_go_and_their_summary_stays(
    backfilled: Runtime, make_runtime: RuntimeFactory
) -> None:
    with backfilled.sessions() as session:
        statistics = sorted(map(str, session.scalars(sa.select(DriftResultRow.statistic))))
        shares = sorted(map(str, session.scalars(sa.select(RunRow.drift_share))))
    assert count(backfilled, QualityResultRow, QualityResultRow.finding.is_(False)) > 0
    later = at(make_runtime, backfilled, days=33)  # windows 1-3 older than 30 days
    assert prune(later).pruned_runs == 3
    with later.sessions() as session:
        pruned = session.scalars(
            sa.select(RunRow).where(RunRow.pruned_at.is_not(None)).order_by(RunRow.window_end)
        ).all()
        assert [r.window_end for r in pruned] == [DAY0 + timedelta(days=d) for d in (1, 2, 3)]
        kept_details = session.scalars(
            sa.select(DriftResultRow.details).where(DriftResultRow.run_id == 4)
        ).all()
        gone_details = session.scalars(
            sa.select(DriftResultRow.details).where(DriftResultRow.run_id.in_([r.id for r in pruned]))
        ).all()
        assert sorted(map(str, session.scalars(sa.select(DriftResultRow.statistic)))) == statistics
        assert sorted(map(str, session.scalars(sa.select(RunRow.drift_share)))) == shares
    assert all(d == {} for d in gone_details) and all(d != {} for d in kept_details)
    passed_of_pruned = count(
        later,
        QualityResultRow,
        QualityResultRow.finding.is_(False),
        QualityResultRow.run_id.in_([r.id for r in pruned]),
    )
    assert passed_of_pruned == 0
    assert count(later, MetricValueRow, MetricValueRow.run_id.in_([r.id for r in pruned])) > 0


def test_recomputing_a_pruned_window_restores_its_raw_results(
    backfilled: Runtime, make_runtime: RuntimeFactory
) -> None:
    later = at(make_runtime, backfilled, days=33)
    prune(later)
    pipeline.backfill(
        later, "m", DAY0, DAY0 + timedelta(days=1), now=DAY0 + timedelta(days=33), recompute=True
    )
    with later.sessions() as session:
        run = session.scalars(sa.select(RunRow).where(RunRow.window_end == DAY0 + timedelta(days=1))).one()
        details = session.scalars(
            sa.select(DriftResultRow.details).where(DriftResultRow.run_id == run.id)
        ).all()
    assert run.pruned_at is None and all(d != {} for d in details)


def test_superseded_metric_versions_go_and_the_newest_stays(
    backfilled: Runtime, make_runtime: RuntimeFactory
) -> None:
    with backfilled.sessions() as session, session.begin():
        # The window's newest version (late labels gave it several), and one newer still.
        first = session.scalars(
            sa.select(MetricValueRow)
            .where(MetricValueRow.run_id == 1)
            .order_by(MetricValueRow.version.desc())
        ).first()
        assert first is not None
        session.add(
            MetricValueRow(
                run_id=1,
                metric=first.metric,
                version=first.version + 1,
                value=0.5,
                sample_count=1,
                status="ok",
            )
        )
    later = at(make_runtime, backfilled, days=33)
    prune(later)
    with later.sessions() as session:
        left = session.execute(
            sa.select(MetricValueRow.version, MetricValueRow.value).where(
                MetricValueRow.run_id == 1, MetricValueRow.metric == first.metric
            )
        ).all()
    assert left == [(first.version + 1, 0.5)]


def test_delivered_notifications_go_after_their_age_and_pending_ones_never(
    backfilled: Runtime, make_runtime: RuntimeFactory
) -> None:
    assert count(backfilled, OutboxRow, OutboxRow.status == "delivered") == 1
    assert count(backfilled, DeliveryAttemptRow) == 1
    with backfilled.sessions() as session, session.begin():
        session.add(
            OutboxRow(
                channel="log",
                idempotency_key="still-pending",
                payload={},
                status="pending",
                attempts=0,
                next_attempt_at=DAY0,
                created_at=DAY0,
            )
        )
    assert prune(at(make_runtime, backfilled, days=20)).notifications == 0
    report = prune(at(make_runtime, backfilled, days=40))
    assert report.notifications == 1
    assert (
        count(backfilled, OutboxRow) == 1 and count(backfilled, OutboxRow, OutboxRow.status == "pending") == 1
    )
    assert count(backfilled, DeliveryAttemptRow) == 0


def test_labels_pulled_from_a_label_source_go_with_the_ingested_rows_age(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    config = monitor_config(db_url)
    config["retention"] = {"ingested_rows": "20d"}
    moment = DAY0 + timedelta(days=5)
    runtime = make_runtime(config, now=moment, clock=advancing(moment))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=moment)
    pulled = count(runtime, LabelRow)
    with runtime.sessions() as session:
        newest = session.scalar(sa.select(sa.func.max(LabelRow.labelled_at)))
    assert pulled > 0 and newest is not None
    assert prune(at(make_runtime, runtime, days=20)).ingested_rows == 0  # all known within 20 days
    later = at(make_runtime, runtime, days=(newest - DAY0).days + 21)
    assert prune(later).ingested_rows == pulled and count(later, LabelRow) == 0
