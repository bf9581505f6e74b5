"""One monitoring run: claim the window, read, compute, store everything in one transaction, notify.

The scheduler, the CLI and the API all reach this through monitor.services; none holds logic of its own.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from monitor.alerting.context import AlertContext
from monitor.alerting.facts import window_facts
from monitor.alerting.judge import apply_rules
from monitor.notify.dispatch import deliver_pending
from monitor.pipeline.compute import compute_window
from monitor.pipeline.runtime import Runtime
from monitor.sources import SourceError
from monitor.store import runs as run_store
from monitor.store import transaction
from monitor.store.monitors import monitor_id
from monitor.windows import Window

logger = logging.getLogger(__name__)

_EXPECTED = (SourceError, ValueError, KeyError, OSError)  # bad data or an unreachable source


@dataclass(frozen=True)
class RunOutcome:
    monitor: str
    window: Window
    status: str  # succeeded, failed, skipped
    reason: str = ""
    run_id: int | None = None
    row_count: int = 0
    drift_share: float | None = None
    dataset_drifted: bool | None = None
    drifted_columns: tuple[str, ...] = ()
    metrics: dict[str, float | None] = field(default_factory=dict)
    alerts_fired: tuple[str, ...] = ()
    error: str | None = None
    quality_findings: tuple[str, ...] = ()

    def summary(self) -> str:
        head = (
            f"{self.monitor} {self.window.start.isoformat()} .. {self.window.end.isoformat()}: {self.status}"
        )
        if self.status == "skipped":
            return f"{head} ({self.reason})"
        if self.status == "failed":
            return f"{head}: {self.error}"
        share = "n/a" if self.drift_share is None else f"{self.drift_share:.2f}"
        metrics = ", ".join(f"{k}={'n/a' if v is None else f'{v:.4f}'}" for k, v in self.metrics.items())
        lines = [
            head,
            f"  rows: {self.row_count}   drift share: {share}   dataset drifted: {self.dataset_drifted}",
            f"  drifted columns: {', '.join(self.drifted_columns) or 'none'}",
            f"  metrics: {metrics or 'none'}",
            f"  data quality: {'; '.join(self.quality_findings) or 'no finding'}",
            f"  alerts fired: {', '.join(self.alerts_fired) or 'none'}",
        ]
        return "\n".join(lines)


def run_monitor(
    runtime: Runtime,
    name: str,
    window: Window,
    *,
    now: datetime,
    trigger: str = "manual",
    recompute: bool = False,
    deliver: bool = True,
) -> RunOutcome:
    """Runs one window end to end. Never raises for bad data or a failing source: the run is `failed`."""
    with runtime.sessions() as session:
        mid = monitor_id(session=session, name=name)
    if mid is None:
        raise KeyError(f"monitor {name!r} is not in the database; was build_runtime called?")
    began = time.monotonic()
    claim = run_store.claim_run(
        runtime.sessions,
        monitor_id=mid,
        start=window.start,
        end=window.end,
        trigger=trigger,
        now=now,
        recompute=recompute,
    )
    if claim.run_id is None:
        return RunOutcome(name, window, "skipped", claim.reason)
    try:
        outcome = _compute_and_store(runtime, name, window, mid, claim.run_id, now=now)
    except Exception as exc:
        if isinstance(exc, _EXPECTED):
            error = str(exc) if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}"
            logger.warning("run %s of %s failed: %s", window.label(), name, error)
        else:
            logger.exception("run %s of %s failed unexpectedly", window.label(), name)
            error = f"internal error: {type(exc).__name__}: {exc}"
        run_store.mark_run_failed(runtime.sessions, run_id=claim.run_id, error=error, now=now)
        return RunOutcome(name, window, "failed", run_id=claim.run_id, error=error)
    if deliver:  # at the time of delivery, not the run's `now`: leases and Retry-After count from it
        deliver_pending(
            runtime.sessions,
            runtime.notifiers,
            now=elapsed(now, began),
            lease=runtime.config.alerting.dispatch_lease,
        )
    return replace(outcome, reason=claim.reason)


def elapsed(now: datetime, began: float) -> datetime:
    """`now` moved on by the real time since `began` (a monotonic reading): the moment to stamp a
    lease or a delivery with when `now` was read before a long computation."""
    return now + timedelta(seconds=time.monotonic() - began)


def _compute_and_store(
    runtime: Runtime, name: str, window: Window, mid: int, run_id: int, *, now: datetime
) -> RunOutcome:
    """Computes the window, then stores its results, alert changes and outbox rows in one transaction."""
    monitor = runtime.monitor(name)
    began = time.monotonic()
    with runtime.sessions() as session:
        recent = run_store.recent_row_counts(
            session=session, monitor_id=mid, before=window.start, limit=monitor.quality.recent_windows
        )
    result = compute_window(runtime, name, window, now=now, recent_row_counts=recent)
    quality = result.quality.signals() if result.quality else None
    facts = window_facts(result.drift, result.metrics, result.row_count, window=window, quality=quality)
    with transaction(runtime.sessions) as session:
        # `now` is the logical time of the run; the finish time adds the real elapsed time.
        run_store.save_results(
            session,
            run_id,
            drift=result.drift,
            drift_share=facts.drift_share,
            output_drift=result.output_drift,
            metrics=result.metrics,
            quality=result.quality,
            row_count=result.row_count,
            labelled_count=result.labelled_count,
            finished=elapsed(now, began),
            now=now,
        )
        ctx = AlertContext(session, runtime.config, name, monitor.model, mid, now)
        fired = apply_rules(ctx, run_id=run_id, window=window, facts=facts)
    return RunOutcome(
        name,
        window,
        "succeeded",
        run_id=run_id,
        row_count=result.row_count,
        drift_share=facts.drift_share,
        dataset_drifted=result.drift.dataset_drifted,
        drifted_columns=result.drift.drifted_columns,
        metrics=dict(facts.metrics),
        alerts_fired=tuple(fired),
        quality_findings=tuple(c.text for c in result.quality.findings) if result.quality else (),
    )
