"""One monitoring run: claim the window, read, compute, store everything in one transaction, notify.

The scheduler, the CLI and the API all reach this through monitor.services; none holds logic of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from monitor.alerting.context import AlertContext
from monitor.alerting.facts import facts_to_json, failed_facts, window_facts
from monitor.alerting.order import judge_in_order
from monitor.clock import Clock, advancing
from monitor.compute import ComputeError
from monitor.errors import mask_url_secrets
from monitor.label_time import checkpoint_at
from monitor.notify.dispatch import deliver_pending
from monitor.pipeline.cluster import ClusterRun, compute_window_on_cluster
from monitor.pipeline.cluster_label_runs import add_cluster_labels
from monitor.pipeline.compute import RunLabels, WindowComputation, compute_window
from monitor.pipeline.heartbeat import Heartbeat
from monitor.pipeline.runtime import Runtime
from monitor.pipeline.segments import WHOLE_WINDOW, health_measures, segment_records, segment_window_facts
from monitor.rules import WindowFacts
from monitor.sources import SourceError
from monitor.store import DatabaseError, Session, claims, transaction
from monitor.store import labels as label_store
from monitor.store import runs as run_store
from monitor.store.estimates import save_estimates
from monitor.store.monitors import monitor_id
from monitor.store.run_compute import start_compute
from monitor.store.segments import save_segments
from monitor.windows import Window

logger = logging.getLogger(__name__)

# Bad data, an unreachable source or cluster.
_EXPECTED = (SourceError, ComputeError, ValueError, KeyError, OSError)


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
    lease_clock: Clock | None = None,
) -> RunOutcome:
    """Runs one window end to end. Never raises for bad data or a failing source: the run is `failed`
    and the scheduler retries it after a backoff. `now` is the run's logical time (what labels are
    known by); claims and leases are stamped by `lease_clock`, read at the moment (default: `now`
    moved on by the real time elapsed), so a long backfill never claims with a stale time."""
    with runtime.sessions() as session:
        mid = monitor_id(session=session, name=name)
    if mid is None:
        raise KeyError(f"monitor {name!r} is not in the database; was build_runtime called?")
    clock = lease_clock or advancing(now)
    claim: claims.Claim | None = None
    try:
        claim = _claim(runtime, mid, window, trigger=trigger, recompute=recompute, now=clock())
        if claim.run_id is None:
            return RunOutcome(name, window, "skipped", claim.reason)
        outcome = _run_claimed(runtime, name, window, mid, claim, now=now, clock=clock)
    except BaseException as exc:  # Ctrl-C, SIGTERM: the window is left to be retried at once
        if claim is not None and claim.run_id is not None and not isinstance(exc, Exception):
            stopped = f"abandoned: the process was stopped ({type(exc).__name__})"
            _fail(runtime, name, window, mid, claim, stopped, attempts_left=False, at=clock())
        raise
    if deliver and outcome.status == "succeeded":  # at the time of delivery, not the run's `now`
        deliver_pending(
            runtime.sessions,
            runtime.notifiers,
            now=clock(),
            lease=runtime.config.alerting.dispatch_lease,
        )
    return outcome


def _run_claimed(
    runtime: Runtime,
    name: str,
    window: Window,
    mid: int,
    claim: claims.Claim,
    *,
    now: datetime,
    clock: Clock,
) -> RunOutcome:
    """Computes and stores a claimed window under its heartbeat; a failure is recorded, not raised."""
    assert claim.run_id is not None
    lease = runtime.config.runs.lease
    try:
        beat = Heartbeat(runtime.sessions, run_id=claim.run_id, token=claim.token, lease=lease, clock=clock)
        with beat:
            outcome = _compute_and_store(runtime, name, window, mid, claim, now=now, clock=clock, beat=beat)
    except claims.ClaimLost as exc:
        context = {"monitor": name, "window": window.label(), "run_id": claim.run_id}
        logger.warning("run %s of %s: %s", window.label(), name, exc, extra=context)
        return RunOutcome(name, window, "skipped", "claim_lost", run_id=claim.run_id, error=str(exc))
    except Exception as exc:
        error = _describe(exc)
        expected = isinstance(exc, _EXPECTED)
        level = logging.WARNING if expected else logging.ERROR
        context = {"monitor": name, "window": window.label(), "run_id": claim.run_id}
        logger.log(
            level,
            "run %s of %s failed: %s",
            window.label(),
            name,
            error,
            exc_info=not expected,
            extra=context,
        )
        _fail(runtime, name, window, mid, claim, error, attempts_left=True, at=clock())
        return RunOutcome(name, window, "failed", run_id=claim.run_id, error=error)
    return replace(outcome, reason=claim.reason)


def _claim(
    runtime: Runtime, mid: int, window: Window, *, trigger: str, recompute: bool, now: datetime
) -> claims.Claim:
    return claims.claim_run(
        runtime.sessions,
        monitor_id=mid,
        start=window.start,
        end=window.end,
        trigger=trigger,
        now=now,
        recompute=recompute,
        leasing=runtime.leasing(),
    )


def _describe(exc: Exception) -> str:
    """What a run's error says, stored and shown: URLs in it lose their passwords and secret values."""
    if isinstance(exc, SourceError | ComputeError):
        text = str(exc)
    elif isinstance(exc, _EXPECTED):
        text = f"{type(exc).__name__}: {exc}"
    else:
        text = f"internal error: {type(exc).__name__}: {exc}"
    return mask_url_secrets(text)


def _fail(
    runtime: Runtime,
    name: str,
    window: Window,
    mid: int,
    claim: claims.Claim,
    error: str,
    *,
    attempts_left: bool,
    at: datetime,
) -> None:
    """Records the failed attempt; the scheduler tries the window again after the backoff (at once
    for an abandoned one). After the last attempt, `run_failed` rules judge the window, in window
    order. Never raises: a database that is down leaves the lease to run out."""
    assert claim.run_id is not None
    runs = runtime.config.runs
    try:
        with runtime.sessions() as session:
            attempts = claims.attempts(session=session, run_id=claim.run_id)
        retry_at = at + runs.retry_delay(attempts) if attempts_left else at
        marked = claims.mark_run_failed(
            runtime.sessions, run_id=claim.run_id, error=error, now=at, token=claim.token, retry_at=retry_at
        )
        if marked and attempts_left and attempts >= runs.max_attempts:
            logger.error("run %s of %s failed on all %d attempts: %s", window.label(), name, attempts, error)
            with transaction(runtime.sessions) as session:
                ctx = AlertContext(session, runtime.config, name, runtime.monitor(name).model, mid, at)
                judge_in_order(ctx, run_id=claim.run_id, window=window, facts=failed_facts(window))
    except DatabaseError:
        logger.exception("run %s: recording its failure failed; its lease will run out", claim.run_id)


def _compute_and_store(
    runtime: Runtime,
    name: str,
    window: Window,
    mid: int,
    claim: claims.Claim,
    *,
    now: datetime,
    clock: Clock,
    beat: Heartbeat,
) -> RunOutcome:
    """Computes the window, then stores its results, alert changes and outbox rows in one transaction."""
    monitor = runtime.monitor(name)
    run_id = claim.run_id
    assert run_id is not None
    result = _compute(
        runtime, name, window, claim, now=now, recent=_recent_row_counts(runtime, name, mid, window)
    )
    facts = _facts(result, window)
    labels_as_of = result.labels.as_of if result.labels else None
    beat.storing()
    with transaction(runtime.sessions) as session:
        # `now` is the logical time of the run; the finish time is read from the clock.
        run_store.save_results(
            session,
            run_id,
            token=claim.token,
            drift=result.drift,
            drift_share=facts.drift_share,
            facts=facts_to_json(facts),
            output_drift=result.output_drift,
            metrics=result.metrics,
            quality=result.quality,
            row_count=result.row_count,
            labelled_count=result.labelled_count,
            finished=clock(),
            now=now,
            labels_as_of=labels_as_of,
        )
        save_segments(session, run_id=run_id, records=segment_records(result.segments, labels_as_of))
        if result.estimates is not None:
            save_estimates(session, run_id=run_id, records=result.estimates.records)
        if result.labels is not None:  # the window's prediction ids, and what its metrics counted
            save_run_labels(session, run_id, mid, result.labels, now=now)
        label_time = _label_time(result, monitor.labels.recompute_every if monitor.labels else None)
        ctx = AlertContext(session, runtime.config, name, monitor.model, mid, now, label_time=label_time)
        fired = judge_in_order(ctx, run_id=run_id, window=window, facts=facts)
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


def _recent_row_counts(runtime: Runtime, name: str, mid: int, window: Window) -> list[int]:
    """The row counts of the windows before this one, which the row-count check compares it with."""
    limit = runtime.monitor(name).quality.recent_windows
    with runtime.sessions() as session:
        return run_store.recent_row_counts(session=session, monitor_id=mid, before=window.start, limit=limit)


def _compute(
    runtime: Runtime, name: str, window: Window, claim: claims.Claim, *, now: datetime, recent: list[int]
) -> WindowComputation:
    """The window computed where the monitor's `compute` says: this process, or its Dask cluster."""
    assert claim.run_id is not None
    if runtime.monitor(name).compute.backend == "dask":
        run = ClusterRun(claim.run_id, claim.token)
        computed = compute_window_on_cluster(runtime, name, window, run, now=now, recent_row_counts=recent)
        return add_cluster_labels(runtime, name, window, run, computed)
    start_compute(runtime.sessions, run_id=claim.run_id, token=claim.token, backend="local")
    return compute_window(runtime, name, window, run_id=claim.run_id, now=now, recent_row_counts=recent)


def _label_time(result: WindowComputation, step: timedelta | None) -> datetime | None:
    """Metric rules judge maturity in the label stream's data time: the watermark's checkpoint."""
    if result.labels is None or result.labels.pulled_through is None or step is None:
        return None
    return checkpoint_at(result.labels.pulled_through, step)


def _facts(result: WindowComputation, window: Window) -> WindowFacts:
    """What the rules see of the window: its results, serving health and each segment's."""
    whole = next((s for s in result.segments if s.segment == WHOLE_WINDOW), None)
    segments = segment_window_facts(result.segments, window)
    estimates = result.estimates
    if estimates is not None:  # each segment's estimates and levels, for per-segment rules on them
        segments = {
            name: replace(
                f,
                estimated=estimates.of_segment(name),
                change_parameters=estimates.segment_parameters.get(name, {}),
            )
            for name, f in segments.items()
        }
    return window_facts(
        result.drift,
        result.metrics,
        result.row_count,
        window=window,
        quality=result.quality.signals() if result.quality else None,
        health=health_measures(whole.health) if whole else None,
        segments=segments,
        estimated=estimates.of_segment(WHOLE_WINDOW) if estimates else None,
        change_parameters=estimates.parameters if estimates else None,
    )


def save_run_labels(session: Session, run_id: int, mid: int, labels: RunLabels, *, now: datetime) -> None:
    """The window's prediction ids (late labels find it by them) and what its metrics counted."""
    if labels.ids is not None:
        label_store.save_window_ids(session=session, run_id=run_id, monitor_id=mid, ids=labels.ids)
    if labels.as_of is not None and labels.pulled_through is not None:
        label_store.mark_counted(
            session=session,
            run_id=run_id,
            as_of=labels.as_of,
            pulled_through=labels.pulled_through,
            labelled_count=labels.labelled,
            now=now,
        )
