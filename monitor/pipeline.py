"""One monitoring run: claim the window, read, compute, store everything in one transaction, notify.

The scheduler, the CLI and the API all call these functions; none of them holds logic of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from monitor.alerting import apply_rules, window_facts
from monitor.config import DriftConfig, MonitorConfig
from monitor.drift import (
    ColumnKind,
    ColumnOptions,
    DatasetDrift,
    DriftOptions,
    LearnedOptions,
    ReferenceProfile,
    build_profile,
    compare_datasets,
)
from monitor.drift.profile import PROFILE_FORMAT
from monitor.labelled import labelled_rows, output_columns, record_metrics, window_metrics
from monitor.metrics import MetricValue
from monitor.notify.outbox import deliver_pending
from monitor.quality import QualityOptions, QualityReport, assess_window
from monitor.runtime import Runtime
from monitor.sources import SourceError
from monitor.store import repository
from monitor.store.engine import transaction
from monitor.store.profiles import load_profile, save_profile
from monitor.store.tables import DriftResultRow, QualityResultRow, RunRow
from monitor.windows import Window, last_complete_window, windows_between

logger = logging.getLogger(__name__)

MAX_CATCH_UP_WINDOWS = 366


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


@dataclass(frozen=True)
class WindowComputation:
    row_count: int
    drift: DatasetDrift
    metrics: list[MetricValue]
    labelled_count: int
    # Drift of the model's own outputs (prediction, scores), apart from the features' drift share.
    output_drift: DatasetDrift | None = None
    quality: QualityReport | None = None


def drift_options(drift: DriftConfig, features: list[str]) -> DriftOptions:
    return DriftOptions(
        tests=tuple(drift.tests),
        thresholds=dict(drift.thresholds),
        columns={
            name: ColumnOptions(
                kind=None if col.kind is None else ColumnKind(col.kind),
                tests=None if col.tests is None else tuple(col.tests),
                thresholds=dict(col.thresholds),
            )
            for name, col in drift.columns.items()
        },
        include=tuple(features),
        drift_share=drift.drift_share,
        correction=None if drift.correction == "none" else drift.correction,
        learned=LearnedOptions(chunks=drift.learned.chunks, std_multiplier=drift.learned.std_multiplier),
    )


def feature_columns(monitor: MonitorConfig, reference: pd.DataFrame) -> list[str]:
    if monitor.schema_.features is not None:
        return list(monitor.schema_.features)
    schema = monitor.schema_
    label = monitor.labels.label_column if monitor.labels else None
    reserved = {
        schema.timestamp_column,
        schema.id_column,
        schema.prediction_column,
        schema.score_column,
        label,
        *(schema.class_score_columns or {}).values(),
    }
    return [c for c in reference.columns if c not in reserved]


def _quality_options(monitor: MonitorConfig) -> QualityOptions:
    q = monitor.quality
    return QualityOptions(
        q.row_count_change, q.missing_share_increase, q.out_of_range_share, q.new_category_share
    )


def profile_key(monitor: MonitorConfig, data_hash: str) -> str:
    """What a reference profile depends on: the reference data, and the settings that shape it."""
    parts = {
        "format": PROFILE_FORMAT,
        "data": data_hash,
        "reference": monitor.reference.model_dump(mode="json"),
        "schema": monitor.schema_.model_dump(mode="json"),
        "label": monitor.labels.label_column if monitor.labels else None,
        "drift": monitor.drift.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _content_hash(frame: pd.DataFrame) -> str | None:
    try:
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    except TypeError:  # unhashable cells: no key, so the profile is built but not stored
        return None
    head = json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode()
    return hashlib.sha256(head + rows.tobytes()).hexdigest()


def reference_profile(runtime: Runtime, name: str, *, now: datetime) -> ReferenceProfile:
    """The monitor's reference profile: from memory, else from the store, else built and stored.

    For file references the key comes from the files' sizes and times, so when a stored profile
    exists the reference is not read at all; other sources are read once per process to hash them."""
    monitor = runtime.monitor(name)
    fingerprint = runtime.reference_fingerprint(name)
    key = profile_key(monitor, fingerprint) if fingerprint is not None else runtime.known_profile_key(name)
    with runtime.sessions() as session:
        mid = repository.monitor_id(session=session, name=name)
        if key is not None:
            cached = runtime.cached_profile(key)
            if cached is not None:
                return cached
            stored = load_profile(session, monitor_id=mid, key=key) if mid is not None else None
            if stored is not None:
                runtime.remember_profile(name, key, stored)
                return stored
    frame = runtime.read_reference(name)
    if key is None:
        content = _content_hash(frame)
        key = profile_key(monitor, content) if content is not None else None
        with runtime.sessions() as session:
            stored = load_profile(session, monitor_id=mid, key=key) if key and mid is not None else None
        if stored is not None and key is not None:
            runtime.remember_profile(name, key, stored)
            return stored
    features = feature_columns(monitor, frame)
    outputs = [c for c in output_columns(monitor) if c in frame.columns and c not in features]
    profile = build_profile(frame, drift_options(monitor.drift, features + outputs))
    if key is not None:
        if mid is not None:
            save_profile(runtime.sessions, monitor_id=mid, key=key, profile=profile, now=now)
        runtime.remember_profile(name, key, profile)
    return profile


def compute_window(
    runtime: Runtime, name: str, window: Window, *, now: datetime, recent_row_counts: Sequence[int] = ()
) -> WindowComputation:
    """Reads the window and computes drift, metrics and data quality; writes only the reference profile."""
    monitor = runtime.monitor(name)
    schema = monitor.schema_
    profile = reference_profile(runtime, name, now=now)
    current = runtime.source(name).read(window.start, window.end, time_column=schema.timestamp_column)
    outputs = [c for c in output_columns(monitor) if c in profile.columns]
    features = (
        list(schema.features)
        if schema.features is not None
        else [c for c in profile.columns if c not in outputs]
    )
    drift = compare_datasets(profile, current, drift_options(monitor.drift, features))
    # The outputs' drift needs them in the reference (a training set may hold only features and labels).
    output_drift = (
        compare_datasets(profile, current, drift_options(monitor.drift, outputs)) if outputs else None
    )
    labelled = labelled_rows(runtime, name, current, window, now=now)
    metrics = window_metrics(monitor, labelled)
    ignore = [schema.timestamp_column, schema.id_column]
    if monitor.labels is not None:
        ignore += [monitor.labels.label_column, monitor.labels.timestamp_column or ""]
    # Quality compares the window with the profile's summary of the reference, which is not read.
    quality = assess_window(
        current,
        profile.quality,
        columns=features + outputs,
        recent_row_counts=recent_row_counts,
        ignore=ignore,
        kinds={c.column: str(c.kind) for c in drift.columns},
        options=_quality_options(monitor),
    )
    return WindowComputation(len(current), drift, metrics, len(labelled), output_drift, quality)


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
    monitor = runtime.monitor(name)
    with runtime.sessions() as session:
        mid = repository.monitor_id(session=session, name=name)
    if mid is None:
        raise KeyError(f"monitor {name!r} is not in the database; was build_runtime called?")
    claim = repository.claim_run(
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
    run_id = claim.run_id
    began = time.monotonic()
    try:
        with runtime.sessions() as session:
            recent = repository.recent_row_counts(
                session=session, monitor_id=mid, before=window.start, limit=monitor.quality.recent_windows
            )
        result = compute_window(runtime, name, window, now=now, recent_row_counts=recent)
        facts = window_facts(
            result.drift,
            result.metrics,
            result.row_count,
            window=window,
            quality=result.quality.signals() if result.quality else None,
        )
        with transaction(runtime.sessions) as session:
            # `now` is the logical time of the run; the finish time adds the real elapsed time.
            finished = now + timedelta(seconds=time.monotonic() - began)
            _store_results(session, run_id, result, finished=finished, now=now)
            fired = apply_rules(
                session=session,
                monitor=name,
                model=monitor.model,
                monitor_id=mid,
                run_id=run_id,
                window=window,
                rules=monitor.alerts,
                facts=facts,
                run_url=f"{runtime.config.public_url()}/runs/{run_id}",
                now=now,
                config=runtime.config,
            )
    except (SourceError, ValueError, KeyError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, SourceError) else str(exc)
        logger.warning("run %s of %s failed: %s", window.label(), name, error)
        repository.mark_run_failed(runtime.sessions, run_id=run_id, error=error, now=now)
        return RunOutcome(name, window, "failed", run_id=run_id, error=error)
    except Exception as exc:
        logger.exception("run %s of %s failed unexpectedly", window.label(), name)
        error = f"internal error: {type(exc).__name__}: {exc}"
        repository.mark_run_failed(runtime.sessions, run_id=run_id, error=error, now=now)
        return RunOutcome(name, window, "failed", run_id=run_id, error=error)
    if deliver:
        deliver_pending(
            runtime.sessions, runtime.notifiers, now=now, lease=runtime.config.alerting.dispatch_lease
        )
    return RunOutcome(
        name,
        window,
        "succeeded",
        claim.reason,
        run_id,
        result.row_count,
        facts.drift_share,
        result.drift.dataset_drifted,
        result.drift.drifted_columns,
        dict(facts.metrics),
        tuple(fired),
        quality_findings=tuple(
            f"{c.column + ': ' if c.column else ''}{c.message}" for c in result.quality.findings
        )
        if result.quality
        else (),
    )


def _judged(drift: DatasetDrift) -> bool:
    return any(r.status == "ok" for r in drift.results)


def _store_results(
    session: Session, run_id: int, result: WindowComputation, *, finished: datetime, now: datetime
) -> None:
    session.execute(delete(DriftResultRow).where(DriftResultRow.run_id == run_id))
    session.execute(delete(QualityResultRow).where(QualityResultRow.run_id == run_id))
    coverage = result.labelled_count / result.row_count if result.row_count else None
    outputs = result.output_drift.results if result.output_drift else ()
    session.add_all(
        DriftResultRow(
            run_id=run_id,
            column_name=r.column,
            kind=str(r.kind),
            test=r.test,
            statistic=_finite(r.statistic),
            p_value=_finite(r.p_value),
            threshold=r.threshold,
            drifted=r.drifted,
            status=str(r.status),
            details=r.details,
            role=role,
        )
        for role, results in (("feature", result.drift.results), ("output", outputs))
        for r in results
    )
    # Metrics are versioned: a recomputation adds a version when anything changed, never overwrites.
    record_metrics(session, run_id, result.metrics, coverage=coverage, now=now)
    if result.quality is not None:
        session.add_all(
            QualityResultRow(
                run_id=run_id,
                check=c.check,
                column_name=c.column,
                value=_finite(c.value),
                threshold=c.threshold,
                finding=c.finding,
                message=c.message,
                details=c.details,
            )
            for c in result.quality.checks
        )
    session.execute(
        update(RunRow)
        .where(RunRow.id == run_id)
        .values(
            status="succeeded",
            finished_at=repository.to_db(finished),
            error=None,
            row_count=result.row_count,
            reference_rows=result.drift.reference_rows,
            labelled_count=result.labelled_count,
            drift_share=result.drift.drift_share if _judged(result.drift) else None,
            dataset_drifted=result.drift.dataset_drifted,
            drifted_columns=list(result.drift.drifted_columns),
            metrics_checked_at=repository.to_db(now),
        )
    )


def _finite(value: float | None) -> float | None:
    # PostgreSQL accepts inf, SQLite and JSON do not; the status already says why a value is missing.
    return None if value is None or value != value or value in (float("inf"), float("-inf")) else value


def backfill(
    runtime: Runtime,
    name: str,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    recompute: bool = False,
    progress: Callable[[int, int, RunOutcome], None] | None = None,
) -> list[RunOutcome]:
    """Every complete window from the one holding `start` up to `end`, oldest first."""
    window_cfg = runtime.monitor(name).window
    windows = list(
        windows_between(start, min(end, now), window_cfg.size, window_cfg.timezone, window_cfg.length)
    )
    outcomes = []
    for i, window in enumerate(windows, 1):
        outcome = run_monitor(
            runtime, name, window, now=now, trigger="backfill", recompute=recompute, deliver=False
        )
        outcomes.append(outcome)
        if progress is not None:
            progress(i, len(windows), outcome)
    deliver_pending(
        runtime.sessions, runtime.notifiers, now=now, lease=runtime.config.alerting.dispatch_lease
    )
    return outcomes


def due_windows(runtime: Runtime, name: str, *, now: datetime) -> list[Window]:
    """Complete windows, past the schedule's delay, not yet computed since the latest computed one."""
    monitor = runtime.monitor(name)
    size, tz, length = monitor.window.size, monitor.window.timezone, monitor.window.length
    last = last_complete_window(now - monitor.schedule.delay, size, tz, length)
    with runtime.sessions() as session:
        latest = repository.latest_run(session=session, monitor=name)
    if latest is None:
        return [last]
    # A failed latest window is tried again; a succeeded one is where catching up starts. Windows
    # are found by their last step, which for a rolling window is its end, not its start.
    end = repository.from_db(latest.window_end)
    resume = end if latest.status == "succeeded" else end - timedelta(microseconds=1)
    pending = list(windows_between(resume, last.end, size, tz, length))
    return pending[-MAX_CATCH_UP_WINDOWS:]


def run_due(runtime: Runtime, name: str, *, now: datetime) -> list[RunOutcome]:
    """What a scheduled tick does: catch up every due window in order."""
    return [
        run_monitor(runtime, name, w, now=now, trigger="schedule")
        for w in due_windows(runtime, name, now=now)
    ]
