"""API models: the one definition of what the JSON API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic.config import JsonDict

from monitor.quality import finding_text
from monitor.services.estimate_types import EstimatedMetricOut
from monitor.services.segment_types import HealthOut, SegmentOut
from monitor.store.metrics import latest_of
from monitor.store.tables import (
    AlertRow,
    DriftResultRow,
    MetricValueRow,
    QualityResultRow,
    RunRow,
)


class MetricOut(BaseModel):
    metric: str
    value: float | None
    # 95% confidence interval (method per metric: docs/metrics.md)
    ci_low: float | None
    ci_high: float | None
    sample_count: int
    label_coverage: float | None
    status: str
    # Late labels add versions; a run shows the latest, its history keeps every one.
    version: int
    computed_at: datetime | None
    # The label checkpoint (data time) of the version: it counts the labels known before then.
    labels_as_of: datetime | None = None
    # |value - the value on the exact rows| <= bound, for a metric computed from merged summaries on
    # a Dask cluster (ROC and PR AUC, from score histograms); null: exact.
    bound: float | None = None

    @classmethod
    def from_row(cls, row: MetricValueRow) -> MetricOut:
        return cls(
            metric=row.metric,
            value=row.value,
            ci_low=row.ci_low,
            ci_high=row.ci_high,
            sample_count=row.sample_count,
            label_coverage=row.label_coverage,
            status=row.status,
            version=row.version,
            computed_at=row.computed_at,
            labels_as_of=row.labels_as_of,
            bound=row.bound,
        )


def latest_metrics(rows: list[MetricValueRow]) -> list[MetricOut]:
    """The latest version of each metric, in the order the metrics were first stored."""
    return [MetricOut.from_row(r) for r in latest_of(rows).values()]


class QualityOut(BaseModel):
    check: str
    column: str | None  # None: the whole window
    value: float | None
    threshold: float | None
    finding: bool
    message: str
    details: dict[str, Any]

    @classmethod
    def from_row(cls, row: QualityResultRow) -> QualityOut:
        return cls(
            check=row.check,
            column=row.column_name or None,
            value=row.value,
            threshold=row.threshold,
            finding=row.finding,
            message=row.message,
            details=row.details or {},
        )


class DriftResultOut(BaseModel):
    column: str
    kind: str
    test: str
    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool
    status: str
    details: dict[str, Any]
    role: str  # feature, or output (the model's prediction or score)

    @classmethod
    def from_row(cls, row: DriftResultRow) -> DriftResultOut:
        return cls(
            role=row.role,
            column=row.column_name,
            kind=row.kind,
            test=row.test,
            statistic=row.statistic,
            p_value=row.p_value,
            threshold=row.threshold,
            drifted=row.drifted,
            status=row.status,
            details=row.details or {},
        )


class ComputeOut(BaseModel):
    """Where a run's latest attempt was computed: `local` (the service's process) or `dask` (a
    cluster: its scheduler's address, its workers, the window's partitions done of all)."""

    backend: str
    address: str | None = None
    workers: int | None = None
    partitions_total: int | None = None
    partitions_done: int | None = None

    @classmethod
    def from_row(cls, row: RunRow) -> ComputeOut:
        return cls(
            backend=row.compute_backend or "local",  # runs from before migration 0015 ran locally
            address=row.compute_address,
            workers=row.compute_workers,
            partitions_total=row.partitions_total,
            partitions_done=row.partitions_done,
        )


class RunOut(BaseModel):
    id: int
    monitor: str
    window_start: datetime
    window_end: datetime
    status: str
    trigger: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    row_count: int | None
    reference_rows: int | None
    labelled_count: int | None
    drift_share: float | None
    dataset_drifted: bool | None
    drifted_columns: list[str]
    error: str | None
    metrics: list[MetricOut]
    quality_findings: list[str]
    # Why the latest attempt was taken (claimed, retry, recompute, lease_expired); until when the
    # process computing it holds it; when a failed run is tried again.
    claim_reason: str | None = None
    lease_until: datetime | None = None
    next_retry_at: datetime | None = None
    # Dataset-level drift when the monitor asks for it (drift.multivariate, drift.importance):
    # {"tests": [multivariate verdicts], "weighted": {drift_share, source, ranked features} or null}.
    dataset_drift: dict[str, Any] | None = None
    compute: ComputeOut | None = None

    @classmethod
    def from_row(cls, row: RunRow, monitor: str) -> RunOut:
        return cls(
            id=row.id,
            monitor=monitor,
            window_start=row.window_start,
            window_end=row.window_end,
            status=row.status,
            trigger=row.trigger,
            attempts=row.attempts,
            started_at=row.started_at,
            finished_at=row.finished_at,
            row_count=row.row_count,
            reference_rows=row.reference_rows,
            labelled_count=row.labelled_count,
            drift_share=row.drift_share,
            dataset_drifted=row.dataset_drifted,
            drifted_columns=list(row.drifted_columns or []),
            claim_reason=row.claim_reason,
            lease_until=row.lease_until,
            next_retry_at=row.next_retry_at,
            dataset_drift=row.dataset_drift,
            compute=ComputeOut.from_row(row),
            error=row.error,
            metrics=latest_metrics(row.metric_values),
            quality_findings=[
                finding_text(q.column_name, q.message) for q in row.quality_results if q.finding
            ],
        )


class RunDetailOut(RunOut):
    drift_results: list[DriftResultOut]  # the features'
    output_drift: list[DriftResultOut]  # the model's own prediction and score distributions
    quality: list[QualityOut]
    metric_history: list[MetricOut]  # every version, oldest first
    health: HealthOut | None = None  # the whole window's serving health
    segments: list[SegmentOut] = Field(default_factory=list)  # largest first
    # Performance estimated without labels: the whole window's (segment "") then each segment's.
    estimated_metrics: list[EstimatedMetricOut] = Field(default_factory=list)

    @classmethod
    def from_detail(cls, row: RunRow, monitor: str) -> RunDetailOut:
        base = RunOut.from_row(row, monitor).model_dump()
        drift = [DriftResultOut.from_row(r) for r in row.drift_results]
        segments = [
            SegmentOut.from_row(r)
            for r in sorted(row.segment_results, key=lambda r: (r.segment != "", -r.row_count, r.segment))
        ]
        return cls(
            **base,
            drift_results=[d for d in drift if d.role != "output"],
            output_drift=[d for d in drift if d.role == "output"],
            quality=[QualityOut.from_row(q) for q in row.quality_results],
            metric_history=[
                MetricOut.from_row(m) for m in sorted(row.metric_values, key=lambda m: (m.version, m.id))
            ],
            health=next(
                (s.health.model_copy(update={"note": s.note}) for s in segments if s.segment == ""), None
            ),
            segments=[s for s in segments if s.segment != ""],
            estimated_metrics=_estimates(row),
        )


def _estimates(row: RunRow) -> list[EstimatedMetricOut]:
    """The run's estimates, each with the realised value of its rows when labels came."""
    realised: dict[tuple[str, str], tuple[float | None, float | None]] = {
        ("", m.metric): (m.value, m.label_coverage) for m in latest_of(row.metric_values).values()
    }
    for segment in row.segment_results:
        coverage = segment.labelled_count / segment.row_count if segment.row_count else None
        for metric, found in (segment.metrics or {}).items():
            realised[(segment.segment, metric)] = (found.get("value"), coverage)
    ordered = sorted(row.estimated_metrics, key=lambda e: (e.segment != "", e.segment, e.id))
    none: tuple[float | None, float | None] = (None, None)
    return [EstimatedMetricOut.from_row(e, realised.get((e.segment, e.metric), none)) for e in ordered]


class RunPage(BaseModel):
    items: list[RunOut]
    total: int
    limit: int
    offset: int


class AlertOut(BaseModel):
    id: int
    monitor: str
    rule: str
    fingerprint: str
    labels: dict[str, str]
    severity: str
    state: str
    value: float | None
    threshold: float
    summary: str
    started_at: datetime
    fired_at: datetime | None
    resolved_at: datetime | None
    last_run_id: int | None
    # The window in which the condition began; started_at, fired_at and resolved_at are when those
    # were computed (a backfill computes weeks of windows at once).
    since_window_start: datetime | None = None
    since_window_end: datetime | None = None
    last_window_end: datetime | None = None

    @classmethod
    def from_row(cls, row: AlertRow, monitor: str) -> AlertOut:
        return cls(
            id=row.id,
            monitor=monitor,
            rule=row.rule,
            fingerprint=row.fingerprint,
            labels=row.labels or {},
            severity=row.severity,
            state=row.state,
            value=row.value,
            threshold=row.threshold,
            summary=row.summary,
            started_at=row.started_at,
            fired_at=row.fired_at,
            resolved_at=row.resolved_at,
            last_run_id=row.last_run_id,
            since_window_start=row.since_window_start,
            since_window_end=row.since_window_end,
            last_window_end=row.last_window_end,
        )


class MonitorOut(BaseModel):
    name: str
    model: str
    description: str
    window: str
    last_run: RunOut | None
    active_alerts: int
    drift_active: bool


class MonitorList(BaseModel):
    items: list[MonitorOut]


# A window end or silence time the service accepts: the years 2000 to 2200, said in the schema too.
PLAUSIBLE_TIME: JsonDict = {"pattern": r"^(20[0-9]{2}|21[0-9]{2}|2200)-"}


class TriggerIn(BaseModel):
    window_end: datetime | None = Field(None, json_schema_extra=PLAUSIBLE_TIME)

    @field_validator("window_end")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        # Before 2000 (an epoch 0, year 1) or far ahead is a mistake, and near year 1 an overflow.
        if value is not None and not (2000 <= value.year <= 2200):
            raise ValueError("a window end between the years 2000 and 2200")
        return value


class TriggerOut(BaseModel):
    status: str
    reason: str
    run: RunOut | None
    error: str | None


class IngestOut(BaseModel):
    """A batch accepted whole: `accepted` rows are new, `duplicates` had been stored before (a resend)."""

    rows: int
    accepted: int
    duplicates: int
