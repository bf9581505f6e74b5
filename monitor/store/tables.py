"""The database schema. Alembic migrations in migrations/ are generated from and checked against it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from monitor.store.base import Base

# Timestamps are stored as naive UTC: SQLite has no time zones, and one convention for both stores
# keeps comparisons exact. Conversion happens in monitor.store.repository.
UtcDateTime = DateTime(timezone=False)


class MonitorRow(Base):
    __tablename__ = "monitors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    model: Mapped[str] = mapped_column(String(200))
    config_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RunRow(Base):
    """One (monitor, window) computation. The unique constraint is the claim: a window runs once."""

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("monitor_id", "window_start", "window_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), index=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))  # running, succeeded, failed
    trigger: Mapped[str] = mapped_column(String(20))  # schedule, manual, backfill
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    row_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reference_rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    labelled_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    drift_share: Mapped[float | None] = mapped_column(Float, nullable=True)
    dataset_drifted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    drifted_columns: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    drift_results: Mapped[list[DriftResultRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="DriftResultRow.id"
    )
    metric_values: Mapped[list[MetricValueRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="MetricValueRow.id"
    )


class DriftResultRow(Base):
    __tablename__ = "drift_results"
    __table_args__ = (UniqueConstraint("run_id", "column_name", "test"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    column_name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    test: Mapped[str] = mapped_column(String(100))
    statistic: Mapped[float | None] = mapped_column(Float, nullable=True)
    p_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float] = mapped_column(Float)
    drifted: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(40))
    # Bin edges and counts of both sides, category counts: what a chart needs later.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    run: Mapped[RunRow] = relationship(back_populates="drift_results")


class MetricValueRow(Base):
    __tablename__ = "metric_values"
    __table_args__ = (UniqueConstraint("run_id", "metric"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(100))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    sample_count: Mapped[int] = mapped_column(Integer)
    label_coverage: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(40))

    run: Mapped[RunRow] = relationship(back_populates="metric_values")


class AlertRow(Base):
    """The current state of one alert, identified by its fingerprint (rule + labels)."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("monitor_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(200))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    severity: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))  # pending, firing, resolved
    breaches: Mapped[int] = mapped_column(Integer, default=0)  # consecutive breaching windows
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), nullable=True)
    last_window_end: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxRow(Base):
    """A notification written with the alert change that caused it; delivered after commit."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending, delivered, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReferenceProfileRow(Base):
    """A monitor's reference profile (monitor/drift/profile.py: sorted values, category counts, learned
    thresholds), keyed by a hash of the reference data and the drift settings it was built with, so a
    scheduled run reads only its current window. `payload` is ReferenceProfile.to_bytes() (no pickle)."""

    __tablename__ = "reference_profiles"
    __table_args__ = (UniqueConstraint("monitor_id", "profile_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), index=True)
    profile_key: Mapped[str] = mapped_column(String(64))
    reference_rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list[str]] = mapped_column(JSON)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
