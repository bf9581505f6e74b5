"""Per-segment results of a window (monitor.pipeline.segments): one row per (run, segment), with the
segment "" for the whole window's serving health. Kept as JSON documents: a segment's drift, metrics
and health are read whole, by the run page, the comparison page and the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.store.base import Base
from monitor.store.types import UtcDateTime


class SegmentResultRow(Base):
    __tablename__ = "segment_results"
    __table_args__ = (UniqueConstraint("run_id", "segment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    # `column=value` (joined by "," for several columns); "" is the whole window.
    segment: Mapped[str] = mapped_column(String(300))
    row_count: Mapped[int] = mapped_column(Integer)
    labelled_count: Mapped[int] = mapped_column(Integer, default=0)
    drift_share: Mapped[float | None] = mapped_column(Float, nullable=True)
    dataset_drifted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    drifted_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    # own: the segment's own reference (segments.references); shared: the monitor's.
    reference: Mapped[str] = mapped_column(String(20), default="shared")
    # [{column, kind, test, statistic, p_value, threshold, drifted, status}, ...]
    drift: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # {metric: {value, ci_low, ci_high, sample_count, status}}: the latest, as of `labels_as_of`.
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # monitor.metrics.serving.ServingHealth.to_json()
    health: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"signals": {check: {column or "": value}}, "findings": [message, ...]}
    quality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    labels_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Why something is missing (a reference that could not be read, segments pooled beyond the cap).
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
