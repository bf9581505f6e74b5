"""Retention: what the scheduler's prune job does, as a function a test and `monitor prune` call too."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from monitor.config import Config
from monitor.pipeline.runtime import Runtime
from monitor.store import retention as store

logger = logging.getLogger(__name__)

# Batches per kind of data in one pass; a larger backlog is finished by the next passes, so one pass
# never keeps the scheduler's thread for long.
MAX_BATCHES = 200


@dataclass(frozen=True)
class PruneReport:
    ingested_rows: int = 0  # predictions and labels pushed over HTTP, labels pulled from label sources
    pruned_runs: int = 0  # windows whose raw results were removed
    notifications: int = 0  # delivered or dead notifications, with their delivery attempts
    complete: bool = True  # False: the pass stopped at MAX_BATCHES; the next one goes on

    def summary(self) -> str:
        rest = "" if self.complete else "; more remains for the next pass"
        return (
            f"retention: removed {self.ingested_rows} ingested rows, raw results of {self.pruned_runs} "
            f"windows, {self.notifications} old notifications{rest}"
        )


def kept_periods(config: Config, model: str) -> list[tuple[datetime, datetime]] | None:
    """Periods of `model`'s pushed rows that monitors read as their reference; None when a monitor
    takes all of them as its reference (nothing of that model may be pruned)."""
    periods: list[tuple[datetime, datetime]] = []
    for monitor in config.monitors.values():
        if monitor.model != model:
            continue
        reference = monitor.reference
        if reference.type == "ingest":
            return None
        if reference.type == "period" and (reference.source or monitor.source).type == "ingest":
            periods.append((reference.start, reference.end))
    return periods


def prune(runtime: Runtime, *, max_batches: int = MAX_BATCHES) -> PruneReport:
    """Removes what the retention settings say is too old, in batches, each its own transaction."""
    settings = runtime.config.retention
    now = runtime.clock()
    batch = settings.batch_size
    complete = True

    def repeat(step: Callable[[], int]) -> int:
        nonlocal complete
        total = 0
        for _ in range(max_batches):
            removed = step()
            if removed == 0:
                return total
            total += removed
        complete = False
        return total

    ingested = pruned = notifications = 0
    if settings.ingested_rows is not None:
        before = now - settings.ingested_rows
        with runtime.sessions() as session:
            models = store.ingested_models(session=session)
        for model in models:
            keep = kept_periods(runtime.config, model)
            if keep is None:
                continue
            ingested += repeat(
                partial(
                    store.prune_predictions,
                    runtime.sessions,
                    model=model,
                    before=before,
                    keep=keep,
                    batch=batch,
                )
            )
            ingested += repeat(
                partial(store.prune_orphan_labels, runtime.sessions, model=model, before=before, batch=batch)
            )
        ingested += repeat(partial(store.prune_pulled_labels, runtime.sessions, before=before, batch=batch))
    if settings.raw_results is not None:
        before = now - settings.raw_results
        pruned = repeat(
            lambda: store.prune_raw_results(runtime.sessions, before=before, batch=batch, now=now)
        )
    if settings.delivery_log is not None:
        before = now - settings.delivery_log
        notifications = repeat(lambda: store.prune_delivery_log(runtime.sessions, before=before, batch=batch))
    report = PruneReport(ingested, pruned, notifications, complete)
    if ingested or pruned or notifications:
        logger.info("%s", report.summary())
    return report
