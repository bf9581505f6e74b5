"""What the dashboard, the monitor and run pages and the JSON API show of monitors and their runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from monitor.pipeline.runtime import Runtime
from monitor.reports.render import format_duration
from monitor.services.types import AlertOut, MonitorOut, RunDetailOut, RunOut, RunPage
from monitor.store import Session, run_history
from monitor.store import alerts as alert_store
from monitor.store import runs as run_store


class UnknownMonitor(LookupError):
    """No monitor of that name in the config."""


def _known(runtime: Runtime, name: str) -> None:
    if name not in runtime.config.monitors:
        raise UnknownMonitor(f"no monitor named {name!r}")


def monitors_overview(runtime: Runtime) -> list[MonitorOut]:
    items = []
    with runtime.sessions() as session:
        firing = alert_store.list_alerts(session=session, active_only=True)
        for name, spec in runtime.config.monitors.items():
            last = run_store.latest_run(session=session, monitor=name)
            # The summary needs metrics and findings only, not every drift result of the run.
            last_out = None if last is None else RunOut.from_row(last, name)
            active = sum(1 for _, monitor in firing if monitor == name)
            items.append(
                MonitorOut(
                    name=name,
                    model=spec.model,
                    description=spec.description,
                    window=f"{format_duration(spec.window.size)} ({spec.window.timezone})",
                    last_run=last_out,
                    active_alerts=active,
                    drift_active=bool(last_out and last_out.dataset_drifted),
                )
            )
    return items


def runs_page(runtime: Runtime, name: str, *, limit: int, offset: int, status: str | None = None) -> RunPage:
    """Runs of a monitor (of one status, if given) ordered by window, oldest first."""
    _known(runtime, name)
    with runtime.sessions() as session:
        rows, total = run_store.list_runs(
            session=session, monitor=name, limit=limit, offset=offset, status=status
        )
        items = [RunOut.from_row(r, name) for r in rows]
    return RunPage(items=items, total=total, limit=limit, offset=offset)


def run_summary(runtime: Runtime, run_id: int) -> RunOut | None:
    with runtime.sessions() as session:
        found = run_store.get_run(session=session, run_id=run_id)
        return None if found is None else RunOut.from_row(*found)


def run_detail(runtime: Runtime, run_id: int) -> RunDetailOut | None:
    with runtime.sessions() as session:
        found = run_store.get_run(session=session, run_id=run_id)
        return None if found is None else RunDetailOut.from_detail(*found)


def list_alerts(
    runtime: Runtime,
    *,
    monitor: str | None = None,
    active: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[AlertOut]:
    with runtime.sessions() as session:
        found = alert_store.list_alerts(session=session, monitor=monitor, active_only=active)
        shown = found[offset : None if limit is None else offset + limit]
        return [AlertOut.from_row(a, m) for a, m in shown]


# The charts above show the whole range; the table below, the newest runs a page at a time.
DEFAULT_PAGE_SIZE = 50


def _cursor(moment: datetime) -> str:
    """A window end as it goes in a page link: UTC, with Z (a '+' would need escaping in a URL)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _aware(moment: datetime | None) -> datetime | None:
    """A bound from a link; one without a time zone is read as UTC."""
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{moment.isoformat()} is outside the representable range") from None


@dataclass(frozen=True)
class Pager:
    """Links to the pages beside one page of runs (newest first), keyed on window_end."""

    older_count: int  # runs ending before this page's oldest
    newer_count: int  # runs ending after this page's newest
    older_href: str | None  # None: nothing older
    newer_href: str | None  # None: nothing newer
    bounded: bool  # the page was asked for with before or after (so "newest" is a page away)


def _pager(session: Session, name: str, runs: list[RunOut], *, limit: int, bounded: bool) -> Pager:
    if not runs:
        return Pager(0, 0, None, None, bounded)
    older, newer = run_history.count_runs_around(
        session=session, monitor=name, oldest_end=runs[-1].window_end, newest_end=runs[0].window_end
    )
    extra = {} if limit == DEFAULT_PAGE_SIZE else {"limit": limit}
    older_href = f"?{urlencode({'before': _cursor(runs[-1].window_end), **extra})}" if older else None
    newer_href = f"?{urlencode({'after': _cursor(runs[0].window_end), **extra})}" if newer else None
    return Pager(older, newer, older_href, newer_href, bounded)


@dataclass(frozen=True)
class MonitorPage:
    name: str
    spec: Any
    runs: list[RunOut]  # one page, newest first
    total: int
    alerts: list[AlertOut]
    metric_names: list[str]
    pager: Pager


def monitor_page(
    runtime: Runtime,
    name: str,
    *,
    limit: int = DEFAULT_PAGE_SIZE,
    before: datetime | None = None,
    after: datetime | None = None,
) -> MonitorPage:
    """One page of a monitor's runs, newest first, with its alerts: the newest `limit` runs, or those
    ending before `before`, or the oldest `limit` ending after `after` (not both: ValueError)."""
    _known(runtime, name)
    if before is not None and after is not None:
        raise ValueError("give before or after, not both")
    with runtime.sessions() as session:
        rows = run_history.runs_by_window_end(
            session=session, monitor=name, limit=limit, before=_aware(before), after=_aware(after)
        )
        runs = [RunOut.from_row(r, name) for r in rows]
        total = run_history.count_runs(session=session, monitor=name)
        bounded = before is not None or after is not None
        pager = _pager(session, name, runs, limit=limit, bounded=bounded)
    alerts = list_alerts(runtime, monitor=name)
    metric_names = sorted({m.metric for r in runs for m in r.metrics})
    return MonitorPage(name, runtime.config.monitors[name], runs, total, alerts, metric_names, pager)
