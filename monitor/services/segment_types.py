"""API models of segments, serving health, version comparisons and canary verdicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from monitor.store.segment_tables import SegmentResultRow


class HealthOut(BaseModel):
    """Serving health of a window or segment (docs/deployments.md)."""

    rows: int
    throughput_per_hour: float | None = None
    latency_p50: float | None = None
    latency_p95: float | None = None
    latency_p99: float | None = None
    error_rate: float | None = None
    low_confidence_share: float | None = None
    # Score quantile ("0.05" ... "0.95") -> value: the score distribution over time.
    score_quantiles: dict[str, float | None] = Field(default_factory=dict)
    # What the whole window's health lacks and why (a window computed on a Dask cluster has no
    # score quantiles); None: nothing.
    note: str | None = None


class SegmentMetricOut(BaseModel):
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    bound: float | None = None  # as MetricOut.bound
    sample_count: int = 0
    status: str = "ok"


class SegmentOut(BaseModel):
    segment: str
    row_count: int
    labelled_count: int
    drift_share: float | None
    dataset_drifted: bool | None
    drifted_columns: list[str]
    reference: Literal["own", "shared"] | str
    drift: list[dict[str, Any]]
    metrics: dict[str, SegmentMetricOut]
    health: HealthOut
    quality_findings: list[str]
    labels_as_of: datetime | None
    note: str | None

    @classmethod
    def from_row(cls, row: SegmentResultRow) -> SegmentOut:
        return cls(
            segment=row.segment,
            row_count=row.row_count,
            labelled_count=row.labelled_count,
            drift_share=row.drift_share,
            dataset_drifted=row.dataset_drifted,
            drifted_columns=list(row.drifted_columns),
            reference=row.reference,
            drift=list(row.drift),
            metrics={k: SegmentMetricOut(**v) for k, v in row.metrics.items()},
            health=HealthOut(**{k: v for k, v in row.health.items() if k in HealthOut.model_fields}),
            quality_findings=list(row.quality.get("findings", [])),
            labels_as_of=row.labels_as_of,
            note=row.note,
        )


class DifferenceOut(BaseModel):
    """A metric of the candidate against the baseline: candidate - baseline, its interval and test."""

    metric: str
    baseline: float | None
    candidate: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    test: str
    n_baseline: int
    n_candidate: int
    status: str
    confidence: float


class PairOut(BaseModel):
    """Which two segments of which monitor, over which rows: [since, until), labels known by `until`."""

    monitor: str
    candidate: str
    baseline: str
    since: datetime
    until: datetime
    candidate_rows: int
    baseline_rows: int
    candidate_labelled: int
    baseline_labelled: int


class ComparisonOut(PairOut):
    candidate_health: HealthOut
    baseline_health: HealthOut
    # The candidate's inputs against the baseline's (the baseline as the reference).
    drift_share: float | None
    drifted_columns: list[str]
    drift: list[dict[str, Any]]
    metrics: list[DifferenceOut]
    segments_seen: list[str]  # every segment in the range, to pick others from


class CheckOut(BaseModel):
    """One criterion of the canary verdict."""

    name: str
    status: Literal["pass", "fail", "inconclusive"]
    detail: dict[str, Any] = Field(default_factory=dict)


class VerdictOut(PairOut):
    """What a canary gate reads: `verdict`, and `reasons` a person can act on."""

    verdict: Literal["pass", "fail", "inconclusive"]
    reasons: list[str]
    alpha: float
    checks: list[CheckOut]
