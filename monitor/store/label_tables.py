"""The tables of the label stream: labels pulled by label time, the ids of each window's predictions
(how new labels find their windows without reading every window again), and each metric rule's
verdict on each window it judged (what a re-judgement folds the alert's state from)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.store.base import Base
from monitor.store.types import UtcDateTime


class LabelRow(Base):
    """The ground truth of one prediction, as last pulled from the monitor's label source."""

    __tablename__ = "labels"
    __table_args__ = (
        UniqueConstraint("monitor_id", "join_id"),
        Index("ix_labels_monitor_labelled", "monitor_id", "labelled_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    join_id: Mapped[str] = mapped_column(String(255))  # the prediction id, as text
    value: Mapped[Any] = mapped_column(JSON)
    # When the label became known (data time); a label counts for metrics as of every later moment.
    labelled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The watermark of the pull that stored it: windows computed as of an earlier one lack it.
    pulled_through: Mapped[datetime] = mapped_column(UtcDateTime)


class WindowIdRow(Base):
    """One prediction id of a computed window, kept while the window may still get labels."""

    __tablename__ = "window_ids"
    __table_args__ = (Index("ix_window_ids_monitor_join", "monitor_id", "join_id"),)

    # No foreign keys and no surrogate id: a window stores a million of these at once, and the per-row
    # checks were most of that (migration 0016). Runs and monitors are never deleted; a window's ids
    # go when its labels are final (store.labels.forget_final_windows).
    run_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    join_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    monitor_id: Mapped[int] = mapped_column(Integer)


class MetricJudgementRow(Base):
    """A metric rule's latest verdict on one window, and the alert's state after it in window order."""

    __tablename__ = "metric_judgements"
    __table_args__ = (UniqueConstraint("fingerprint", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(32), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # of the window's metrics
    coverage: Mapped[float | None] = mapped_column(Float, nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    breached: Mapped[bool] = mapped_column(Boolean)
    provisional: Mapped[bool] = mapped_column(Boolean)  # the window's labels may still change it
    state: Mapped[str] = mapped_column(String(20))
    breaches: Mapped[int] = mapped_column(Integer)
    clears: Mapped[int] = mapped_column(Integer)
    judged_at: Mapped[datetime] = mapped_column(UtcDateTime)
