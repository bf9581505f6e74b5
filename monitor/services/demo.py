"""`make run`: the bundled demo generated once, migrated, and every demo window computed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import pandas as pd

from monitor import pipeline
from monitor.config import Config
from monitor.pipeline.runtime import build_runtime
from monitor.services.demo_data import demo_files, generate_demo
from monitor.store import runs as run_store
from monitor.store import upgrade_database
from monitor.store.monitors import monitor_id

logger = logging.getLogger(__name__)

# The newest demo windows computed `now`; the ones before, this long ago (their labels came since).


def prepare_demo(
    config: Config,
    *,
    now: datetime,
    regenerate: bool = False,
    progress: Callable[[int, int, pipeline.RunOutcome], None] | None = None,
) -> list[pipeline.RunOutcome]:
    """Generates the demo data if absent, migrates the database and backfills every demo window."""
    upgrade_database(config.database_url())
    outcomes: list[pipeline.RunOutcome] = []
    for name, monitor in config.monitors.items():
        if monitor.reference.type != "files":
            continue
        directory = config.resolve_path(monitor.reference.path).parent
        files = demo_files(directory)
        if regenerate or not all(
            p.exists() for p in (files.reference, files.predictions, files.labels, files.canary_reference)
        ):
            logger.info("generating demo data in %s", directory)
            generate_demo(directory, today=now)
        runtime = build_runtime(config, now=now)
        try:
            times = pd.read_parquet(files.predictions, columns=[monitor.schema_.timestamp_column]).iloc[:, 0]
            start = times.min().floor("us").to_pydatetime()
            end = times.max().floor("us").to_pydatetime() + timedelta(microseconds=1)
            with runtime.sessions() as session:
                mid = monitor_id(session=session, name=name)
                done = run_store.computed_window_starts(session=session, monitor_id=mid or -1)
            grid = monitor.window.grid()
            end_window = grid.containing(end)
            if end_window.start in done and grid.containing(start).start in done:
                logger.info("demo windows of %s already computed", name)
                continue
            logger.info("backfilling %s from %s to %s", name, start.date(), end_window.end.date())
            # As the service would have lived it: the backfill replays the label stream in data
            # time, so each window's metrics gain a version as its labels became known, up to now;
            # the labels still to come arrive while the demo runs. `partial`: the data starts
            # mid-window, and the first window is computed whole, as the scheduler would have.
            outcomes += pipeline.backfill(
                runtime, name, start, end_window.end, now=now, partial=True, progress=progress
            ).runs
        finally:
            runtime.close()
    return outcomes
