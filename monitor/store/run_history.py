"""Pages of a monitor's runs by window, newest first, with keyset bounds on window_end: a year of hourly
windows stays reachable page by page, and a page does not shift while new runs arrive. (Beside
runs.py, which holds the claim and the writes.)"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from monitor.store.tables import MonitorRow, QualityResultRow, RunRow


def _of_monitor(monitor: str) -> Select[RunRow]:
    return (
        select(RunRow).join(MonitorRow, MonitorRow.id == RunRow.monitor_id).where(MonitorRow.name == monitor)
    )


def _load(query: Select[RunRow]) -> Select[RunRow]:
    # What a run's summary shows: its metrics and data-quality findings, not every drift result nor
    # the checks that passed (a few per column: 40,000 rows for a page of 200 runs over 100 columns).
    findings = RunRow.quality_results.and_(QualityResultRow.finding.is_(True))
    return query.options(selectinload(RunRow.metric_values), selectinload(findings))


def runs_by_window_end(
    *,
    session: Session,
    monitor: str,
    limit: int,
    before: datetime | None = None,
    after: datetime | None = None,
) -> list[RunRow]:
    """Up to `limit` runs, newest window first: those ending before `before` (the newest such), or
    after `after` (the oldest such), or the newest of all. Runs that end at the same moment as the
    page's last one join it (a page may hold more than `limit`), so a bound never splits them."""
    if before is not None and after is not None:
        raise ValueError("a page is bounded on one side: before or after")
    base = _of_monitor(monitor)
    if after is not None:
        base = base.where(RunRow.window_end > after)
        order = (RunRow.window_end.asc(), RunRow.window_start.asc())
    else:
        if before is not None:
            base = base.where(RunRow.window_end < before)
        order = (RunRow.window_end.desc(), RunRow.window_start.desc())
    rows = list(session.scalars(_load(base.order_by(*order).limit(limit))).all())
    if len(rows) == limit:
        edge = rows[-1].window_end
        seen = {r.id for r in rows}
        ties = session.scalars(_load(base.where(RunRow.window_end == edge, RunRow.id.not_in(seen)))).all()
        rows.extend(ties)
    rows.sort(key=lambda r: (r.window_end, r.window_start), reverse=True)
    return rows


def count_runs_around(
    *, session: Session, monitor: str, oldest_end: datetime, newest_end: datetime
) -> tuple[int, int]:
    """How many runs of the monitor end before `oldest_end`, and how many after `newest_end`."""
    ends = _of_monitor(monitor).with_only_columns(RunRow.window_end).subquery()
    older = session.scalar(select(func.count()).select_from(ends).where(ends.c.window_end < oldest_end)) or 0
    newer = session.scalar(select(func.count()).select_from(ends).where(ends.c.window_end > newest_end)) or 0
    return older, newer


def count_runs(*, session: Session, monitor: str) -> int:
    query = _of_monitor(monitor).with_only_columns(func.count(RunRow.id))
    return session.scalar(query) or 0
