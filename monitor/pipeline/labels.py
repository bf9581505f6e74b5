"""Delayed ground truth: labels joined to a window's predictions, metrics on the labelled rows, and
past windows kept right as labels arrive late, and metric alert rules judging windows once their
labels are known.

A window's metrics are computed on its predictions that have a label known at the time of the
computation, with the label coverage (labelled share) stored beside them. The scheduler calls
`refresh_late_labels` every tick: windows that ended within the label horizon (default 14 days) and
were not looked at for `recompute_every` are recomputed, and when anything changed (more labels, so
other values) the metrics are stored as a new version. Earlier versions stay: the API and pages
show the latest and keep the history. Windows older than the horizon are final.

Metric alert rules judge a window when its labels are known (monitor.alerting.ready), so the
transaction that stores a new version also moves the alerts it makes judgeable and writes their
outbox rows: they commit together or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from monitor.alerting.context import AlertContext
from monitor.alerting.judge import judge_late_metrics
from monitor.config import MonitorConfig
from monitor.metrics import MetricValue, compute_metrics
from monitor.pipeline.reference import output_columns
from monitor.pipeline.runtime import Runtime
from monitor.sources import SourceError
from monitor.store import Conflict, Session, transaction
from monitor.store import runs as run_store
from monitor.store.metrics import record_metrics
from monitor.store.monitors import monitor_id as find_monitor_id
from monitor.store.runs import mark_labels_checked
from monitor.windows import Window

logger = logging.getLogger(__name__)


def labelled_rows(
    runtime: Runtime, name: str, current: pd.DataFrame, window: Window, *, now: datetime
) -> pd.DataFrame:
    """Predictions of the window joined to the labels known at `now`."""
    monitor = runtime.monitor(name)
    source = runtime.labels_source(name)
    if source is None or monitor.labels is None:
        return current.iloc[0:0]
    cfg = monitor.labels
    if current.empty:
        return current.iloc[0:0].assign(**{cfg.label_column: pd.Series(dtype="int64")})
    if cfg.timestamp_column:
        # A label is never known before its prediction was made.
        labels = source.read(window.start, now + timedelta(microseconds=1), time_column=cfg.timestamp_column)
    else:
        labels = source.read()
    missing = {cfg.id_column, cfg.label_column} - set(labels.columns)
    if missing:
        raise SourceError(f"labels lack column(s) {', '.join(sorted(missing))}")
    labels = labels[[cfg.id_column, cfg.label_column]].dropna().drop_duplicates(cfg.id_column, keep="last")
    id_col = monitor.schema_.id_column
    if id_col not in current.columns:
        raise SourceError(f"predictions lack the id column {id_col!r}")
    keep = [c for c in (id_col, *output_columns(monitor)) if c in current.columns]
    predictions = current[keep]
    if cfg.label_column in predictions.columns:  # a label column of the same name as an output
        predictions = predictions.drop(columns=cfg.label_column)
    # Ids compare as text: a log with integer ids and labels sent as strings still join.
    predictions = predictions.assign(_join_id=predictions[id_col].astype(str))
    labels = labels.assign(_join_id=labels[cfg.id_column].astype(str)).drop(columns=cfg.id_column)
    return predictions.merge(labels, on="_join_id", how="inner").drop(columns="_join_id")


def window_metrics(monitor: MonitorConfig, labelled: pd.DataFrame) -> list[MetricValue]:
    if monitor.labels is None:
        return []
    schema = monitor.schema_

    def column(name: str | None) -> pd.Series | None:
        return labelled[name] if name and name in labelled.columns else None

    prediction, score = column(schema.prediction_column), column(schema.score_column)
    class_scores = None
    if schema.class_score_columns:
        class_scores = {
            cls: labelled[col].to_numpy(dtype=float, na_value=float("nan"))
            for cls, col in schema.class_score_columns.items()
            if col in labelled.columns
        } or None
    return compute_metrics(
        monitor.task,
        monitor.metrics,
        labelled[monitor.labels.label_column].to_numpy(),
        None if prediction is None else prediction.to_numpy(),
        None
        if score is None
        else pd.to_numeric(score, errors="coerce").to_numpy(dtype=float, na_value=float("nan")),
        class_scores=class_scores,
        positive_label=monitor.positive_label,
        average=monitor.average,
    )


@dataclass(frozen=True)
class LabelRefresh:
    monitor: str
    window: Window
    run_id: int
    version: int | None  # None: the metrics did not change
    labelled_count: int
    metrics: dict[str, float | None]
    # Metric alerts that fired in the same transaction, each with the window it fired on.
    alerts_fired: tuple[str, ...] = ()

    def summary(self) -> str:
        what = f"metrics version {self.version}" if self.version else "metrics unchanged"
        fired = f"; alerts fired: {', '.join(self.alerts_fired)}" if self.alerts_fired else ""
        return f"{self.monitor} {self.window.label()}: {self.labelled_count} labelled rows, {what}{fired}"


def refresh_late_labels(runtime: Runtime, name: str, *, now: datetime) -> list[LabelRefresh]:
    """Recomputes the metrics of windows within the label horizon that are due for a look."""
    monitor = runtime.monitor(name)
    if monitor.labels is None:
        return []
    with runtime.sessions() as session:
        monitor_id = find_monitor_id(session=session, name=name)
        runs = run_store.runs_awaiting_labels(
            session=session,
            monitor=name,
            ended_after=now - monitor.labels.horizon,
            checked_before=now - monitor.labels.recompute_every,
        )
    refreshed = []
    for run_id, start, end in runs:
        window = Window(start, end)
        try:
            current = runtime.source(name).read(start, end, time_column=monitor.schema_.timestamp_column)
            labelled = labelled_rows(runtime, name, current, window, now=now)
            metrics = window_metrics(monitor, labelled)
        except (SourceError, ValueError, KeyError, OSError) as exc:
            logger.warning("late labels of %s %s not applied: %s", name, window.label(), exc)
            continue
        coverage = len(labelled) / len(current) if len(current) else None
        try:
            with transaction(runtime.sessions) as session:
                version = record_metrics(session, run_id, metrics, coverage=coverage, now=now)
                mark_labels_checked(session, run_id, labelled_count=len(labelled), now=now)
                # A version still short of every metric rule's label coverage unblocks nothing.
                ready = coverage is None or any(
                    coverage >= r.label_coverage_needed for r in monitor.alerts if r.signal == "metric"
                )
                fired = (
                    _judge(runtime, session, name, monitor_id, now=now)
                    if version is not None and ready and monitor_id is not None
                    else []
                )
        except Conflict:  # another scheduler wrote this version first
            logger.info("late labels of %s %s were applied elsewhere", name, window.label())
            continue
        refreshed.append(
            LabelRefresh(
                name,
                window,
                run_id,
                version,
                len(labelled),
                {m.metric: m.value for m in metrics},
                tuple(fired),
            )
        )
    if monitor_id is not None:
        # Time alone makes windows judgeable too: one leaves the label horizon, or newer ready
        # windows stop waiting for one whose labels stay incomplete. Nothing is written unless a
        # window is judged or passed over.
        with transaction(runtime.sessions) as session:
            fired = _judge(runtime, session, name, monitor_id, now=now)
        if fired:
            logger.info("%s: alerts fired as windows became final: %s", name, ", ".join(fired))
    return refreshed


def _judge(runtime: Runtime, session: Session, name: str, monitor_id: int, *, now: datetime) -> list[str]:
    ctx = AlertContext(session, runtime.config, name, runtime.monitor(name).model, monitor_id, now)
    return judge_late_metrics(ctx)
