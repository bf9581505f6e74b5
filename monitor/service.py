"""Service functions behind the routes, the scheduler and the CLI: what a test can call too."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd

from monitor import pipeline
from monitor.config import Config, MonitorConfig
from monitor.errors import UserError
from monitor.render import format_duration
from monitor.runtime import Runtime, build_runtime
from monitor.store import repository
from monitor.store.engine import upgrade_database
from monitor.web.schemas import MonitorOut, RunOut, TriggerOut
from monitor.windows import Window, last_complete_window, window_containing

logger = logging.getLogger(__name__)


def _clock() -> datetime:
    return datetime.now(UTC)


def monitors_overview(runtime: Runtime) -> list[MonitorOut]:
    items = []
    with runtime.sessions() as session:
        firing = repository.alerts(session=session, active_only=True)
        for name, spec in runtime.config.monitors.items():
            last = repository.latest_run(session=session, monitor=name)
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


class WindowNotClosed(UserError):
    """A manual run asked for a window that is still open: storing it would hide the real one."""


def manual_window(monitor: MonitorConfig, *, window_end: datetime | None, now: datetime) -> Window:
    """The window a person asks for: by default the last one the scheduler would have run by now."""
    spec = monitor.window
    if window_end is None:
        return last_complete_window(now - monitor.schedule.delay, spec.size, spec.timezone, spec.length)
    end = window_end if window_end.tzinfo else window_end.replace(tzinfo=UTC)
    window = window_containing(end - spec.size / 2, spec.size, spec.timezone, spec.length)
    if window.end > now:
        raise WindowNotClosed(
            f"the window {window.start.isoformat()} .. {window.end.isoformat()} has not closed yet; "
            "a run of it would be stored as complete and the scheduler would skip past it"
        )
    return window


def run_manual(
    runtime: Runtime, name: str, *, window_end: datetime | None, now: datetime
) -> pipeline.RunOutcome:
    """A run asked for by a person (API or CLI): recomputes the window if it was computed already."""
    window = manual_window(runtime.monitor(name), window_end=window_end, now=now)
    return pipeline.run_monitor(runtime, name, window, now=now, trigger="manual", recompute=True)


def trigger_run(runtime: Runtime, name: str, *, window_end: datetime | None, now: datetime) -> TriggerOut:
    outcome = run_manual(runtime, name, window_end=window_end, now=now)
    run = None
    if outcome.run_id is not None:
        with runtime.sessions() as session:
            found = repository.get_run(session=session, run_id=outcome.run_id)
            run = RunOut.from_row(found[0], name) if found else None
    return TriggerOut(status=outcome.status, reason=outcome.reason, run=run, error=outcome.error)


def prepare_demo(
    config: Config,
    *,
    now: datetime,
    regenerate: bool = False,
    progress: Callable[[int, int, pipeline.RunOutcome], None] | None = None,
) -> list[pipeline.RunOutcome]:
    """Generates the demo data if absent, migrates the database and backfills every demo window."""
    from monitor.demo import demo_files, generate_demo

    upgrade_database(config.database_url())
    outcomes: list[pipeline.RunOutcome] = []
    for name, monitor in config.monitors.items():
        if monitor.reference.type != "files":
            continue
        directory = config.resolve_path(monitor.reference.path).parent
        files = demo_files(directory)
        if regenerate or not all(p.exists() for p in (files.reference, files.predictions, files.labels)):
            logger.info("generating demo data in %s", directory)
            generate_demo(directory, today=now)
        runtime = build_runtime(config, now=now)
        try:
            times = pd.read_parquet(files.predictions, columns=[monitor.schema_.timestamp_column]).iloc[:, 0]
            start = times.min().floor("us").to_pydatetime()
            end = times.max().floor("us").to_pydatetime() + timedelta(microseconds=1)
            with runtime.sessions() as session:
                mid = repository.monitor_id(session=session, name=name)
                done = repository.computed_window_starts(session=session, monitor_id=mid or -1)
            size, tz = monitor.window.size, monitor.window.timezone
            end_window = window_containing(end, size, tz)
            if end_window.start in done and window_containing(start, size, tz).start in done:
                logger.info("demo windows of %s already computed", name)
                continue
            logger.info("backfilling %s from %s to %s", name, start.date(), end_window.end.date())
            outcomes += pipeline.backfill(runtime, name, start, end_window.end, now=now, progress=progress)
        finally:
            runtime.close()
    return outcomes


def serve(config: Config, *, scheduler: bool, host: str | None, port: int | None) -> None:
    import uvicorn

    from monitor.web.app import create_app

    upgrade_database(config.database_url())
    runtime = build_runtime(config, now=_clock())
    app = create_app(runtime, run_scheduler=scheduler)
    bind_host, bind_port = host or config.server.host, port or config.server.port
    logger.info("dashboard on http://%s:%d", bind_host, bind_port)
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="info")
