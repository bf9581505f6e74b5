"""What the dashboard, the monitor and run pages and the JSON API show of monitors and their runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.pipeline.runtime import Runtime
from monitor.reports.render import format_duration
from monitor.services.types import AlertOut, MonitorOut, RunDetailOut, RunOut, RunPage
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


def list_alerts(runtime: Runtime, *, monitor: str | None = None, active: bool = False) -> list[AlertOut]:
    with runtime.sessions() as session:
        return [
            AlertOut.from_row(a, m)
            for a, m in alert_store.list_alerts(session=session, monitor=monitor, active_only=active)
        ]


@dataclass(frozen=True)
class MonitorPage:
    name: str
    spec: Any
    runs: list[RunOut]  # newest first
    total: int
    alerts: list[AlertOut]
    metric_names: list[str]


def monitor_page(runtime: Runtime, name: str, *, limit: int) -> MonitorPage:
    """The newest `limit` runs of a monitor, newest first, with its alerts."""
    _known(runtime, name)
    with runtime.sessions() as session:
        _, total = run_store.list_runs(session=session, monitor=name, limit=1)
        rows, _ = run_store.list_runs(
            session=session, monitor=name, limit=limit, offset=max(0, total - limit)
        )
        runs = [RunOut.from_row(r, name) for r in reversed(rows)]
    alerts = list_alerts(runtime, monitor=name)
    metric_names = sorted({m.metric for r in runs for m in r.metrics})
    return MonitorPage(name, runtime.config.monitors[name], runs, total, alerts, metric_names)
