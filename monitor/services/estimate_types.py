"""API models of performance estimated without labels, beside the realised value once labels came."""

from __future__ import annotations

from pydantic import BaseModel, computed_field

from monitor.store.estimate_tables import EstimatedMetricRow


class EstimatedMetricOut(BaseModel):
    segment: str  # "" for the whole window
    metric: str
    method: str  # cbpe, dle
    value: float | None
    # value +- 3 sampling errors (docs/metrics.md#performance-before-labels)
    lower: float | None
    upper: float | None
    sampling_error: float | None
    row_count: int
    status: str
    note: str | None  # why to trust it less (badly calibrated scores), or why it is missing
    # The realised metric of the same rows, once labels came (latest version), and its label coverage.
    realised: float | None = None
    label_coverage: float | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def error(self) -> float | None:
        """How far the estimate was from the realised value (realised - estimated)."""
        if self.realised is None or self.value is None:
            return None
        return self.realised - self.value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def within_band(self) -> bool | None:
        if self.realised is None or self.lower is None or self.upper is None:
            return None
        return self.lower <= self.realised <= self.upper

    @classmethod
    def from_row(
        cls, row: EstimatedMetricRow, realised: tuple[float | None, float | None] = (None, None)
    ) -> EstimatedMetricOut:
        return cls(
            segment=row.segment,
            metric=row.metric,
            method=row.method,
            value=row.value,
            lower=row.lower,
            upper=row.upper,
            sampling_error=row.sampling_error,
            row_count=row.row_count,
            status=row.status,
            note=row.note,
            realised=realised[0],
            label_coverage=realised[1],
        )
