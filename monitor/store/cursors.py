"""Reads and writes for metric rules that judge windows once their labels are known: where each rule
stands (its cursor), the windows it has still to judge, and a stored window's facts. Keyword-only
sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.rules import TestFact, WindowFacts, judged_columns
from monitor.rules.maturity import MetricVersion, PendingWindow
from monitor.store.metrics import is_latest, latest_versions
from monitor.store.segments import segment_facts, segments_of_run
from monitor.store.tables import DriftResultRow, MetricRuleCursorRow, MetricValueRow, RunRow


def cursors(*, session: Session, monitor_id: int, rules: Sequence[str]) -> dict[str, datetime]:
    """How far each rule has judged: windows ending by then are done. Rules never seen are absent."""
    rows = session.execute(
        select(MetricRuleCursorRow.rule, MetricRuleCursorRow.judged_through).where(
            MetricRuleCursorRow.monitor_id == monitor_id, MetricRuleCursorRow.rule.in_(list(rules))
        )
    )
    return {rule: through for rule, through in rows}


def start_cursors(
    *, session: Session, monitor_id: int, rules: Sequence[str], start: datetime, now: datetime
) -> None:
    """Rules seen for the first time judge windows ending after `start`. Idempotent, so two writers
    starting the same rule cannot clash: the first one's start stands."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for rule in rules:
        session.execute(
            insert(MetricRuleCursorRow)
            .values(monitor_id=monitor_id, rule=rule, judged_through=start, updated_at=now)
            .on_conflict_do_nothing(index_elements=["monitor_id", "rule"])
        )


def first_window_start(*, session: Session, monitor_id: int) -> datetime | None:
    """The start of the monitor's oldest computed window."""
    start = session.scalar(
        select(func.min(RunRow.window_start)).where(
            RunRow.monitor_id == monitor_id, RunRow.status == "succeeded"
        )
    )
    return None if start is None else start


def move_cursor(*, session: Session, monitor_id: int, rule: str, through: datetime, now: datetime) -> None:
    session.execute(
        update(MetricRuleCursorRow)
        .where(MetricRuleCursorRow.monitor_id == monitor_id, MetricRuleCursorRow.rule == rule)
        .values(judged_through=through, updated_at=now)
    )


def pending_windows(
    *, session: Session, monitor_id: int, after: datetime, horizon: timedelta | None
) -> list[PendingWindow]:
    """Succeeded windows ending after `after`, oldest first, with the label coverage of each version
    of their metrics. `horizon` None: no labels are expected, so the metrics are final at once."""
    runs = session.execute(
        select(RunRow.id, RunRow.window_start, RunRow.window_end)
        .where(
            RunRow.monitor_id == monitor_id,
            RunRow.status == "succeeded",
            RunRow.window_end > after,
        )
        .order_by(RunRow.window_end, RunRow.window_start)
    ).all()
    if not runs:
        return []
    ends = {r.id: r.window_end for r in runs}
    versions: dict[int, list[MetricVersion]] = {}
    rows = session.execute(
        select(
            MetricValueRow.run_id,
            MetricValueRow.version,
            func.max(MetricValueRow.label_coverage),
            func.min(MetricValueRow.computed_at),
            func.min(MetricValueRow.labels_as_of),
        )
        .where(MetricValueRow.run_id.in_([r.id for r in runs]))
        .group_by(MetricValueRow.run_id, MetricValueRow.version)
        .order_by(MetricValueRow.run_id, MetricValueRow.version)
    )
    for run_id, version, coverage, computed_at, as_of in rows:
        # The data time a version counts the labels as of; rows from before it was kept are placed
        # when they were computed, and rows older still since the window ended.
        moment = as_of or computed_at or ends[run_id]
        versions.setdefault(run_id, []).append(MetricVersion(version, coverage, moment))
    return [
        PendingWindow(
            run_id=run_id,
            start=start,
            end=end,
            versions=tuple(versions.get(run_id, ())),
            final_at=end + (horizon or timedelta(0)),
        )
        for run_id, start, end in runs
    ]


def stored_facts(*, session: Session, run_id: int) -> WindowFacts:
    """What rules see of a window that was computed earlier: its latest metrics and its drift."""
    run = session.get(RunRow, run_id)
    if run is None:
        raise KeyError(f"run {run_id} does not exist")
    latest = latest_versions(run_id)
    metrics: dict[str, float | None] = {
        metric: value
        for metric, value in session.execute(
            select(MetricValueRow.metric, MetricValueRow.value)
            .join(latest, is_latest(latest))
            .order_by(MetricValueRow.id)
        )
    }
    tests: dict[str, dict[str, TestFact]] = {}
    for r in session.scalars(
        select(DriftResultRow)
        .where(DriftResultRow.run_id == run_id, DriftResultRow.role == "feature")
        .order_by(DriftResultRow.id)
    ):
        tests.setdefault(r.column_name, {})[r.test] = TestFact(
            r.statistic, r.p_value, r.threshold, r.drifted, r.status, by_p_value=r.p_value is not None
        )
    return WindowFacts(
        drift_share=run.drift_share,
        drifted_columns=tuple(run.drifted_columns or ()),
        judged_columns=judged_columns(tests),
        metrics=metrics,
        row_count=run.row_count or 0,
        column_tests=tests,
        window_start=run.window_start,
        segments=segment_facts(segments_of_run(session=session, run_id=run_id), run.window_start),
    )
