"""Each metric rule's latest verdict on each window it judged, with the alert's state after that
window in window order: what a re-judgement of an earlier window folds the alert's state from.
Keyword-only sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.rules import AlertState
from monitor.store.label_tables import MetricJudgementRow


@dataclass(frozen=True)
class Verdict:
    """A rule's verdict on a window, and at which version of its metrics."""

    fingerprint: str
    rule: str
    run_id: int
    window_start: datetime
    window_end: datetime
    version: int | None
    coverage: float | None
    value: float | None
    breached: bool
    provisional: bool


def judged_versions(
    *, session: Session, monitor_id: int, rules: Sequence[str], run_ids: Sequence[int]
) -> dict[tuple[str, int], int]:
    """(rule, run id) -> the metrics version the rule last judged the window at, for these runs."""
    rows = session.execute(
        select(MetricJudgementRow.rule, MetricJudgementRow.run_id, func.max(MetricJudgementRow.version))
        .where(
            MetricJudgementRow.monitor_id == monitor_id,
            MetricJudgementRow.rule.in_(list(rules)),
            MetricJudgementRow.run_id.in_(list(run_ids)),
        )
        .group_by(MetricJudgementRow.rule, MetricJudgementRow.run_id)
    )
    return {(rule, run_id): version or 0 for rule, run_id, version in rows}


def record(
    *, session: Session, monitor_id: int, verdict: Verdict, after: AlertState, now: datetime
) -> MetricJudgementRow:
    """Stores the verdict (replacing the rule's earlier one on the window) and the state after it."""
    row = session.scalar(
        select(MetricJudgementRow).where(
            MetricJudgementRow.fingerprint == verdict.fingerprint, MetricJudgementRow.run_id == verdict.run_id
        )
    )
    if row is None:
        row = MetricJudgementRow(
            monitor_id=monitor_id, fingerprint=verdict.fingerprint, run_id=verdict.run_id
        )
        session.add(row)
    row.rule, row.window_start, row.window_end = verdict.rule, verdict.window_start, verdict.window_end
    row.version, row.coverage, row.value = verdict.version, verdict.coverage, verdict.value
    row.breached, row.provisional = verdict.breached, verdict.provisional
    row.state, row.breaches, row.clears = after.state, after.breaches, after.clears
    row.judged_at = now
    return row


def earlier_verdict(*, session: Session, fingerprint: str, run_id: int) -> MetricJudgementRow | None:
    return session.scalar(
        select(MetricJudgementRow).where(
            MetricJudgementRow.fingerprint == fingerprint, MetricJudgementRow.run_id == run_id
        )
    )


def state_before(*, session: Session, fingerprint: str, window_end: datetime) -> AlertState:
    """The alert's state after the last window judged before this one (inactive if none)."""
    row = session.scalar(
        select(MetricJudgementRow)
        .where(MetricJudgementRow.fingerprint == fingerprint, MetricJudgementRow.window_end < window_end)
        .order_by(MetricJudgementRow.window_end.desc(), MetricJudgementRow.window_start.desc())
        .limit(1)
    )
    if row is None:
        return AlertState()
    return AlertState(row.state, row.breaches, row.clears)  # type: ignore[arg-type]


def later_verdicts(*, session: Session, fingerprint: str, window_end: datetime) -> list[MetricJudgementRow]:
    """The rule's verdicts on windows after this one, in window order."""
    return list(
        session.scalars(
            select(MetricJudgementRow)
            .where(MetricJudgementRow.fingerprint == fingerprint, MetricJudgementRow.window_end > window_end)
            .order_by(MetricJudgementRow.window_end, MetricJudgementRow.window_start)
        )
    )
