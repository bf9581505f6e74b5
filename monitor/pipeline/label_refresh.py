"""Late labels, applied in data time: pull the label stream up to a moment, then give every window
within its label horizon a metric version as of each checkpoint at which labels of its rows became
known, and let the metric rules judge at each checkpoint in turn.

The scheduler pulls up to the wall clock at each tick; a backfill pulls up to each window's run time
(its end plus the schedule's delay) before running it. Either way the versions stored and the alerts
they move depend only on the data, so replaying history gives what the live service would have done.
A version, its window's bookkeeping and the alerts it makes judgeable commit together or not at all.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.alerting.context import AlertContext
from monitor.alerting.judge import judge_late_metrics
from monitor.compute import ComputeError
from monitor.label_time import change_checkpoints, checkpoint_at, final_checkpoint
from monitor.pipeline.cluster_label_runs import adopt_on_cluster, versions_on_cluster
from monitor.pipeline.label_stream import pull_quietly
from monitor.pipeline.labels import (
    LABELLED_AT,
    MetricVersion,
    counted_as_of,
    join_labels,
    prediction_ids,
    window_metrics,
)
from monitor.pipeline.runtime import Runtime
from monitor.pipeline.segments import split_counted
from monitor.sources import SourceError
from monitor.store import Conflict, Session, transaction
from monitor.store import labels as label_store
from monitor.store.metrics import record_metrics
from monitor.store.monitors import monitor_id as find_monitor_id
from monitor.store.segments import renew_metrics, segments_of_run
from monitor.windows import Window

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelRefresh:
    monitor: str
    window: Window
    run_id: int
    version: int | None  # None: the metrics did not change
    labelled_count: int
    metrics: dict[str, float | None]
    as_of: datetime | None = None  # the label checkpoint of the version
    # Metric alerts that fired in the same transaction, each with the window it fired on.
    alerts_fired: tuple[str, ...] = ()

    def summary(self) -> str:
        what = f"metrics version {self.version}" if self.version else "metrics unchanged"
        when = f" as of {self.as_of.isoformat()}" if self.as_of else ""
        fired = f"; alerts fired: {', '.join(self.alerts_fired)}" if self.alerts_fired else ""
        return (
            f"{self.monitor} {self.window.label()}: {self.labelled_count} labelled rows, {what}{when}{fired}"
        )


def refresh_late_labels(runtime: Runtime, name: str, *, now: datetime) -> list[LabelRefresh]:
    """The scheduler's label pass: pull up to the wall clock, re-reading `labels.lateness` behind the
    watermark for labels that landed late, and apply what arrived."""
    labels = runtime.monitor(name).labels
    overlap = labels.lateness if labels is not None else timedelta(0)
    return advance_labels(runtime, name, through=now, now=now, overlap=overlap)


def advance_labels(
    runtime: Runtime, name: str, *, through: datetime, now: datetime, overlap: timedelta = timedelta(0)
) -> list[LabelRefresh]:
    """Pulls labels up to `through` and applies them. `now` stamps what is written. A label source
    that is down leaves the watermark where it was; what was pulled before is still applied."""
    cfg = runtime.monitor(name).labels
    if cfg is None:
        return []
    with runtime.sessions() as session:
        mid = find_monitor_id(session=session, name=name)
        before = label_store.watermark(session=session, monitor_id=mid) if mid is not None else None
    if mid is None:
        return []
    pull_quietly(runtime, name, through=through, overlap=overlap)
    with runtime.sessions() as session:
        mark = label_store.watermark(session=session, monitor_id=mid)
    if mark is None:
        return []
    step = cfg.recompute_every
    as_of = checkpoint_at(mark, step)
    _adopt_older_windows(runtime, name, mid, ended_after=as_of - cfg.horizon, mark=mark)
    # Windows still open at the previous pull (their labels may have come in since), or all of them.
    open_after = None if before is None else checkpoint_at(before, step) - cfg.horizon - step
    with runtime.sessions() as session:
        runs = label_store.runs_with_uncounted_labels(
            session=session, monitor_id=mid, ended_after=open_after, as_of=as_of
        )
    versions: list[MetricVersion] = []
    for run in runs:
        try:
            versions += _versions(runtime, name, mid, run, as_of=as_of)
        except (SourceError, ComputeError, ValueError, KeyError, OSError) as exc:
            # Its labels stay uncounted, so the next pass tries this window again.
            logger.warning(
                "late labels of %s %s not applied: %s", name, Window(run.start, run.end).label(), exc
            )
    refreshed = _store_in_order(runtime, name, mid, versions, mark=mark, now=now)
    with transaction(runtime.sessions) as session:
        # Time alone makes windows judgeable too: one leaves its label horizon, or newer ready
        # windows stop waiting for one whose labels stay incomplete.
        fired = _judge(runtime, session, name, mid, now=now, label_time=as_of)
        label_store.forget_final_windows(
            session=session, monitor_id=mid, ended_before=as_of - cfg.horizon - step
        )
    if fired:
        logger.info("%s: alerts fired as windows became final: %s", name, ", ".join(fired))
    return refreshed


def _adopt_older_windows(
    runtime: Runtime, name: str, mid: int, *, ended_after: datetime, mark: datetime
) -> None:
    """Windows within the horizon computed before the label stream (an upgrade) get their prediction
    ids, so their late labels still find them. Nothing to do afterwards: one query per pull."""
    monitor = runtime.monitor(name)
    with runtime.sessions() as session:
        older = label_store.runs_without_ids(session=session, monitor_id=mid, ended_after=ended_after)
    for run in older:
        ids: list[str] | None = None  # None: stored by the cluster's workers
        try:
            if monitor.compute.backend == "dask":
                adopt_on_cluster(runtime, name, run, mid)
            else:
                current = runtime.source(name).read(
                    run.start, run.end, time_column=monitor.schema_.timestamp_column
                )
                ids = prediction_ids(monitor, current)
        except (SourceError, ComputeError, ValueError, KeyError, OSError) as exc:
            logger.warning(
                "%s %s: prediction ids not read: %s", name, Window(run.start, run.end).label(), exc
            )
            continue
        with transaction(runtime.sessions) as session:
            label_store.adopt(
                session=session, run_id=run.run_id, monitor_id=mid, ids=ids, pulled_through=mark
            )


def _versions(
    runtime: Runtime, name: str, mid: int, run: label_store.LabelledRun, *, as_of: datetime
) -> list[MetricVersion]:
    """The window's metrics as of each checkpoint at which labels of its rows became known, since the
    checkpoint its latest metrics were computed as of."""
    monitor = runtime.monitor(name)
    assert monitor.labels is not None
    with runtime.sessions() as session:
        known = [r.segment for r in segments_of_run(session=session, run_id=run.run_id) if r.segment]
    if monitor.compute.backend == "dask":
        return versions_on_cluster(runtime, name, run, mid, as_of=as_of, known=known)
    step, window = monitor.labels.recompute_every, Window(run.start, run.end)
    through = min(as_of, final_checkpoint(run.end, monitor.labels.horizon, step))
    current = runtime.source(name).read(run.start, run.end, time_column=monitor.schema_.timestamp_column)
    with runtime.sessions() as session:
        stored = label_store.labels_of_run(session=session, run_id=run.run_id)
    joined = join_labels(monitor, current, stored)
    after = run.labels_as_of
    fresh = joined[LABELLED_AT] if after is None else joined[LABELLED_AT][joined[LABELLED_AT] >= after]
    if after is None and run.labels_pulled_through is not None:
        points = [through]  # computed before the label stream: its history is not replayed
    else:
        points = change_checkpoints(fresh.dt.to_pydatetime(), after=after, through=through, step=step)
    # Labels pulled after the window was computed but known before its checkpoint count from now on.
    late = [
        x
        for x in stored
        if run.labels_pulled_through is not None
        and x.pulled_through > run.labels_pulled_through
        and after is not None
        and x.labelled_at < after
    ]
    if late and through not in points:
        points.append(through)
    out = []
    for point in points:
        counted = counted_as_of(joined, point)
        coverage = len(counted) / len(current) if len(current) else None
        by_segment = split_counted(monitor, counted, known)
        out.append(
            MetricVersion(
                run.run_id,
                window,
                point,
                window_metrics(monitor, counted),
                coverage,
                len(counted),
                {name: window_metrics(monitor, rows) for name, rows in by_segment.items()},
                {name: len(rows) for name, rows in by_segment.items()},
            )
        )
    return out


def _store_in_order(
    runtime: Runtime, name: str, mid: int, versions: list[MetricVersion], *, mark: datetime, now: datetime
) -> list[LabelRefresh]:
    """Each checkpoint in turn: its versions, then the metric rules judging as of it."""
    by_point: dict[datetime, list[MetricVersion]] = defaultdict(list)
    for v in versions:
        by_point[v.as_of].append(v)
    refreshed: list[LabelRefresh] = []
    for point in sorted(by_point):
        try:
            with transaction(runtime.sessions) as session:
                written = []
                for v in by_point[point]:
                    number = record_metrics(
                        session, v.run_id, v.metrics, coverage=v.coverage, now=now, as_of=point
                    )
                    if v.segments:
                        renew_metrics(
                            session,
                            run_id=v.run_id,
                            metrics=v.segments,
                            labelled=v.segment_labelled,
                            as_of=point,
                        )
                    label_store.mark_counted(
                        session=session,
                        run_id=v.run_id,
                        as_of=point,
                        pulled_through=mark,
                        labelled_count=v.labelled_count,
                        now=now,
                    )
                    written.append((v, number))
                fired = _judge(runtime, session, name, mid, now=now, label_time=point)
        except Conflict:  # another scheduler wrote these versions first
            logger.info("late labels of %s as of %s were applied elsewhere", name, point.isoformat())
            continue
        for i, (v, number) in enumerate(written):
            refreshed.append(
                LabelRefresh(
                    name,
                    v.window,
                    v.run_id,
                    number,
                    v.labelled_count,
                    {m.metric: m.value for m in v.metrics},
                    point,
                    tuple(fired) if i == 0 else (),  # what the checkpoint's judging fired
                )
            )
    return refreshed


def _judge(
    runtime: Runtime, session: Session, name: str, monitor_id: int, *, now: datetime, label_time: datetime
) -> list[str]:
    ctx = AlertContext(
        session, runtime.config, name, runtime.monitor(name).model, monitor_id, now, label_time=label_time
    )
    return judge_late_metrics(ctx)
