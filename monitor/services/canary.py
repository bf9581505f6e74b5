"""Versions side by side and the canary verdict: a candidate segment against a baseline segment over
the rows logged since a moment, with the labels known by now (docs/deployments.md).

Rows are read from the monitor's source on each request, so a gate polled every minute sees the
canary grow; the verdict's sequential tests stay valid however often it is asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from monitor.config import MonitorConfig, feature_columns
from monitor.drift import build_profile, compare_datasets
from monitor.metrics.compare import COMPARABLE, compare_metric
from monitor.metrics.differences import LabelledRows
from monitor.metrics.health_compare import compare_health
from monitor.metrics.verdict import CanaryColumns, CanaryCriteria, canary_verdict
from monitor.pipeline.labels import prediction_ids
from monitor.pipeline.reference import drift_options, output_columns
from monitor.pipeline.runtime import Runtime
from monitor.pipeline.segments import health_of, segment_names
from monitor.services.segment_types import CheckOut, ComparisonOut, DifferenceOut, HealthOut, VerdictOut
from monitor.store import labels as label_store
from monitor.store import segments as segment_store
from monitor.store.monitors import monitor_id
from monitor.windows import Window

# How far back a request may reach: a verdict reads every row since `since` from the source.
MAX_LOOKBACK = timedelta(days=31)
LABEL = "_label"  # the joined label (NaN: not known yet)


class CanaryRequestError(ValueError):
    """A comparison that cannot be made as asked (no segments, an unknown segment, a bad range)."""


@dataclass(frozen=True)
class SideBySide:
    """The rows of the two segments over [since, until), each with its label where known."""

    candidate: str
    baseline: str
    since: datetime
    until: datetime
    candidate_rows: pd.DataFrame
    baseline_rows: pd.DataFrame
    segments_seen: list[str]

    def described(self, monitor: str) -> dict[str, Any]:
        """The fields of PairOut."""
        return {
            "monitor": monitor,
            "candidate": self.candidate,
            "baseline": self.baseline,
            "since": self.since,
            "until": self.until,
            "candidate_rows": len(self.candidate_rows),
            "baseline_rows": len(self.baseline_rows),
            "candidate_labelled": int(self.candidate_rows[LABEL].notna().sum()),
            "baseline_labelled": int(self.baseline_rows[LABEL].notna().sum()),
        }


def segment_name(monitor: MonitorConfig, text: str) -> str:
    """A segment as a request names it: in full (`model_version=v4`) or, when the monitor segments
    by one column, by its value (`v4`)."""
    assert monitor.segments is not None
    if "=" in text:
        return text
    if len(monitor.segments.by) == 1:
        return f"{monitor.segments.by[0]}={text}"
    raise CanaryRequestError(
        f"name the segment in full ({'=...,'.join(monitor.segments.by)}=...): the monitor segments by "
        "several columns"
    )


def _range(monitor: MonitorConfig, since: datetime | None, now: datetime) -> datetime:
    start = since if since is not None else now - monitor.canary.lookback
    if start.tzinfo is None:
        raise CanaryRequestError("`since` needs a time zone (2026-12-01T09:00:00Z)")
    if start >= now:
        raise CanaryRequestError(f"`since` ({start.isoformat()}) is not in the past")
    if now - start > MAX_LOOKBACK:
        raise CanaryRequestError(f"`since` may reach back {MAX_LOOKBACK.days} days at most")
    return start


def _with_labels(runtime: Runtime, name: str, rows: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """The rows with their label known by `now` in LABEL (NaN where none is known yet)."""
    monitor = runtime.monitor(name)
    if monitor.labels is None or rows.empty:
        return rows.assign(**{LABEL: np.nan})
    ids = prediction_ids(monitor, rows)
    with runtime.sessions() as session:
        mid = monitor_id(session=session, name=name)
        stored = [] if mid is None else label_store.labels_of_ids(session=session, monitor_id=mid, ids=ids)
    known = {x.join_id: x.value for x in stored if x.labelled_at <= now}
    joined = rows[monitor.schema_.id_column].astype(str).map(known)
    return rows.assign(**{LABEL: pd.Series(joined, index=rows.index, dtype=object).infer_objects()})


def side_by_side(
    runtime: Runtime, name: str, *, candidate: str, baseline: str, since: datetime | None, now: datetime
) -> SideBySide:
    monitor = runtime.monitor(name)
    if monitor.segments is None:
        raise CanaryRequestError(f"monitor {name!r} has no `segments`: there is nothing to compare")
    cand, base = segment_name(monitor, candidate), segment_name(monitor, baseline)
    if cand == base:
        raise CanaryRequestError("the candidate and the baseline are the same segment")
    start = _range(monitor, since, now)
    rows = runtime.source(name).read(start, now, time_column=monitor.schema_.timestamp_column)
    names = segment_names(rows, monitor.segments.by) if not rows.empty else pd.Series([], dtype=str)
    picked = rows[names.isin([cand, base]).to_numpy()] if not rows.empty else rows
    picked = _with_labels(runtime, name, picked, now)
    picked_names = names[names.isin([cand, base])]
    return SideBySide(
        cand,
        base,
        start,
        now,
        picked[(picked_names == cand).to_numpy()],
        picked[(picked_names == base).to_numpy()],
        sorted(set(names)),
    )


def compared_columns(monitor: MonitorConfig, rows: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(features, outputs) the two segments are compared on: the monitor's features (config/roles.py
    tells them from role columns, segment and serving columns included) that the rows hold."""
    outputs = [c for c in output_columns(monitor) if c in rows.columns]
    present = [str(c) for c in rows.columns if c != LABEL]
    return [c for c in feature_columns(monitor, present) if c in rows.columns], outputs


def labelled_rows(monitor: MonitorConfig, rows: pd.DataFrame) -> LabelledRows:
    """The rows whose label is known, as the metric comparisons take them."""
    known = rows[rows[LABEL].notna()]
    schema = monitor.schema_
    prediction = schema.prediction_column if schema.prediction_column in known.columns else None
    score = schema.score_column if schema.score_column in known.columns else None
    return LabelledRows(
        known[LABEL].to_numpy(),
        None if prediction is None else known[prediction].to_numpy(),
        None if score is None else pd.to_numeric(known[score], errors="coerce").to_numpy(dtype=float),
    )


def comparison(
    runtime: Runtime, name: str, *, candidate: str, baseline: str, since: datetime | None, now: datetime
) -> ComparisonOut:
    """The two segments side by side: each one's serving health, the drift of the candidate's inputs
    and outputs against the baseline's, and each metric's difference with its interval and test."""
    monitor = runtime.monitor(name)
    pair = side_by_side(runtime, name, candidate=candidate, baseline=baseline, since=since, now=now)
    features, outputs = compared_columns(monitor, pd.concat([pair.baseline_rows, pair.candidate_rows]))
    drift = None
    if len(pair.baseline_rows) and len(pair.candidate_rows):
        profile = build_profile(pair.baseline_rows, drift_options(monitor.drift, features + outputs))
        drift = compare_datasets(profile, pair.candidate_rows, drift_options(monitor.drift, features))
        output = compare_datasets(profile, pair.candidate_rows, drift_options(monitor.drift, outputs))
    base, cand = labelled_rows(monitor, pair.baseline_rows), labelled_rows(monitor, pair.candidate_rows)
    metrics = [
        compare_metric(m, base, cand, positive_label=monitor.positive_label)
        for m in monitor.metrics
        if m in COMPARABLE and monitor.task == "binary_classification"
    ]
    serving = monitor.serving
    metrics += compare_health(
        pair.baseline_rows,
        pair.candidate_rows,
        latency_column=serving.latency_column,
        error_column=serving.error_column,
        error_values=serving.error_values,
    )
    window = Window(pair.since, pair.until)
    return ComparisonOut(
        **pair.described(name),
        candidate_health=HealthOut(**health_of(monitor, pair.candidate_rows, window).to_json()),
        baseline_health=HealthOut(**health_of(monitor, pair.baseline_rows, window).to_json()),
        drift_share=None if drift is None else drift.drift_share,
        drifted_columns=[] if drift is None else list(drift.drifted_columns),
        drift=[] if drift is None else [r.to_dict() for r in (*drift.results, *output.results)],
        metrics=[DifferenceOut(**d.to_json()) for d in metrics],
        segments_seen=pair.segments_seen,
    )


def verdict(
    runtime: Runtime, name: str, *, candidate: str, baseline: str, since: datetime | None, now: datetime
) -> VerdictOut:
    """pass, fail or inconclusive for the candidate segment against the baseline (`canary` config)."""
    monitor = runtime.monitor(name)
    pair = side_by_side(runtime, name, candidate=candidate, baseline=baseline, since=since, now=now)
    rows = pd.concat([pair.baseline_rows, pair.candidate_rows])
    features, _outputs = compared_columns(monitor, rows)
    schema, serving, canary = monitor.schema_, monitor.serving, monitor.canary
    columns = CanaryColumns(
        features=tuple(features),
        prediction=schema.prediction_column if schema.prediction_column in rows.columns else None,
        score=schema.score_column if schema.score_column in rows.columns else None,
        label=LABEL,
        latency=serving.latency_column,
        error=serving.error_column,
        error_values=None if serving.error_values is None else tuple(serving.error_values),
        positive_label=monitor.positive_label,
    )
    criteria = CanaryCriteria(
        alpha=canary.alpha,
        min_rows=canary.min_rows,
        min_labels=canary.min_labels,
        max_drop={str(metric): drop for metric, drop in canary.max_drop.items()},
        max_error_rate=canary.max_error_rate,
        max_p99_latency_ms=canary.max_p99_latency_ms,
        max_drift_share=canary.max_drift_share,
        tau=canary.tau,
        drift=drift_options(monitor.drift, features),
    )
    found = canary_verdict(pair.baseline_rows, pair.candidate_rows, columns, criteria)
    return VerdictOut(
        verdict=found.verdict,
        reasons=list(found.reasons),
        **pair.described(name),
        alpha=canary.alpha,
        checks=[
            CheckOut(
                name=c["name"],
                status=c["status"],
                detail={k: v for k, v in c.items() if k not in ("name", "status")},
            )
            for c in found.to_json()["checks"]
        ],
    )


def comparison_links(runtime: Runtime, name: str) -> list[tuple[str, str]]:
    """(candidate, baseline) pairs to offer on the monitor page: each smaller segment of the newest
    window against the largest."""
    if runtime.monitor(name).segments is None:
        return []
    with runtime.sessions() as session:
        found = [
            (s, h.get("rows") or 0)
            for s, h in segment_store.latest_health(session=session, monitor=name)
            if s
        ]
    ordered = [s for s, _ in sorted(found, key=lambda x: (-x[1], x[0]))]
    return [(other, ordered[0]) for other in ordered[1:]]
