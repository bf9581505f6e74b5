"""Performance estimated without labels (monitor.metrics.estimation): one row per (run, segment,
metric), the segment "" being the whole window. Written with the run, replaced when the window is
computed again; estimates use no labels, so late labels never change them."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.store.base import Base


class EstimatedMetricRow(Base):
    __tablename__ = "estimated_metrics"
    __table_args__ = (UniqueConstraint("run_id", "segment", "metric"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    segment: Mapped[str] = mapped_column(String(300), default="")
    metric: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(20))  # cbpe, dle
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The band: value +- 3 sampling errors, clipped to the metric's range.
    lower: Mapped[float | None] = mapped_column(Float, nullable=True)
    upper: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Standard deviation of the realised value around the estimate.
    sampling_error: Mapped[float | None] = mapped_column(Float, nullable=True)
    row_count: Mapped[int] = mapped_column(Integer)
    # ok, or why there is no value (no_rows, no_scores, estimator_unavailable, ...)
    status: Mapped[str] = mapped_column(String(40))
    # Why the estimate deserves less trust (scores badly calibrated on the reference) or is missing.
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
