"""The database schema. Alembic migrations in migrations/ are generated from and checked against it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The tables of keys, web sessions and the audit log live beside these; imported so that the one
# metadata (Alembic's, create_all's) always holds them.
from monitor.store import access_tables as _access_tables  # noqa: F401
from monitor.store import label_tables as _label_tables  # noqa: F401
from monitor.store.base import Base
from monitor.store.estimate_tables import EstimatedMetricRow
from monitor.store.segment_tables import SegmentResultRow
from monitor.store.types import RowId, UtcDateTime


class MonitorRow(Base):
    __tablename__ = "monitors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    model: Mapped[str] = mapped_column(String(200))
    config_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Alert rules have judged every window ending by then, in window order, whoever computed them.
    judged_through: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Data time of the label stream: labels known until then have been pulled (monitor.pipeline.labels).
    label_watermark: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


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
    # When the metrics were last recomputed for late labels (None: not since the run).
    metrics_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The label checkpoint (data time) its latest metrics were computed as of.
    labels_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The label watermark then: labels pulled after it may be older than the checkpoint (stragglers).
    labels_pulled_through: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The claim of the process computing it: renewed by a heartbeat while it computes, taken over
    # by another once it runs out (the process died). Rows from before leases have none.
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # A failed run is tried again by the scheduler from then on, until its attempts run out.
    next_retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Why the latest attempt was taken: claimed, retry, recompute, lease_expired.
    claim_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # What alert rules see of the window (monitor.alerting.facts), kept so that a window stored
    # before an earlier one finished is judged later, in order, on exactly what was computed.
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Dataset-level drift (DatasetDrift.dataset_tests and .weighted as JSON): the multivariate
    # verdicts and the importance-weighted drift; None when the monitor asks for neither.
    dataset_drift: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Seconds the latest attempt took (claim to stored result or failure): /metrics' histogram.
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    # When retention removed the window's raw results (bin counts, passed quality checks, superseded
    # metric versions); its summary, per-column statistics and final metrics stay.
    pruned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Where its latest attempt was computed (None: in the service's process) and how far it got.
    compute_backend: Mapped[str | None] = mapped_column(String(20), nullable=True)
    compute_address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    compute_workers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    partitions_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    partitions_done: Mapped[int | None] = mapped_column(Integer, nullable=True)

    drift_results: Mapped[list[DriftResultRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="DriftResultRow.id"
    )
    metric_values: Mapped[list[MetricValueRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="MetricValueRow.id"
    )
    quality_results: Mapped[list[QualityResultRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="QualityResultRow.id"
    )
    segment_results: Mapped[list[SegmentResultRow]] = relationship(
        cascade="all, delete-orphan", order_by="SegmentResultRow.id"
    )
    estimated_metrics: Mapped[list[EstimatedMetricRow]] = relationship(
        cascade="all, delete-orphan", order_by="EstimatedMetricRow.id"
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
    # feature: an input column, counted in the drift share; output: the model's prediction or score.
    role: Mapped[str] = mapped_column(String(20), default="feature", server_default="feature")

    run: Mapped[RunRow] = relationship(back_populates="drift_results")


class MetricValueRow(Base):
    """A metric of a window, versioned: late labels add a version, never overwrite one."""

    __tablename__ = "metric_values"
    __table_args__ = (UniqueConstraint("run_id", "metric", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    # 95% confidence interval; the method per metric is in monitor.metrics.intervals.
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    # |value - the value on the exact rows| <= bound, for a metric computed from merged summaries
    # (ROC and PR AUC on a Dask cluster, from score histograms); None: exact.
    bound: Mapped[float | None] = mapped_column(Float, nullable=True)
    sample_count: Mapped[int] = mapped_column(Integer)
    label_coverage: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The label checkpoint (data time) of this version: labels known before it were used.
    labels_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    run: Mapped[RunRow] = relationship(back_populates="metric_values")


class QualityResultRow(Base):
    """One data-quality check of a window; `column_name` is "" for checks of the whole window."""

    __tablename__ = "quality_results"
    __table_args__ = (UniqueConstraint("run_id", "check", "column_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    check: Mapped[str] = mapped_column(String(40))
    column_name: Mapped[str] = mapped_column(String(300), default="")
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    finding: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    run: Mapped[RunRow] = relationship(back_populates="quality_results")


class IngestedPredictionRow(Base):
    """A prediction pushed over HTTP. Unique per (model, prediction id): a resent batch adds nothing."""

    __tablename__ = "ingested_predictions"
    __table_args__ = (
        UniqueConstraint("model", "prediction_id"),
        Index("ix_ingested_predictions_model_time", "model", "time"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    prediction_id: Mapped[str] = mapped_column(String(200))
    time: Mapped[datetime] = mapped_column(UtcDateTime)
    # Every other column of the row (features, prediction, score), as sent after validation.
    row_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IngestedLabelRow(Base):
    """Ground truth pushed over HTTP, joined to predictions by id. The first label sent for an id wins."""

    __tablename__ = "ingested_labels"
    __table_args__ = (
        UniqueConstraint("model", "prediction_id"),
        Index("ix_ingested_labels_model_labelled_at", "model", "labelled_at"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    prediction_id: Mapped[str] = mapped_column(String(200))
    label: Mapped[Any] = mapped_column(JSON)
    # When the label became known: sent with it, or its arrival.
    labelled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


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
    # Consecutive clear windows while still firing (keep_firing_for).
    clears: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), nullable=True)
    last_window_end: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The window in which the condition began (started_at and fired_at are when that was computed,
    # which for a backfill can be weeks later).
    since_window_start: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    since_window_end: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class OutboxRow(Base):
    """A notification written with the alert change that caused it; delivered after commit."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending, sending, delivered, dead
    # alert, retrain, rollback, promote
    kind: Mapped[str] = mapped_column(String(20), default="alert", server_default="alert")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # retention prunes by age
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The claim of the dispatcher sending it; a lease that ran out (a crash) lets another take over.
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Not delivered by then: a dead letter. Null: created_at plus the configured maximum age.
    give_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Rows of one key are delivered in the order written (a RESOLVED never overtakes its FIRING):
    # a row waits while an earlier one of its key is still pending or being sent.
    ordering_key: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class DeliveryAttemptRow(Base):
    """Every try at delivering an outbox row: when, by whom, and what came back."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    dispatcher: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # in_flight, delivered, retry, failed (not retryable), expired (dead letter), abandoned (lease ran out)
    outcome: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    retry_after: Mapped[float | None] = mapped_column(Float, nullable=True)
    # What the channel did beyond delivering: an action's outcome ("MLflow credit alias champion: 4 -> 3").
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class AlertEventRow(Base):
    """The history of an alert: each transition, notification and suppression, in order."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), nullable=True)
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # pending, fired, resolved, cleared, notified, silenced, and per action (retrain, rollback, promote)
    # <action>_requested, <action>_cooldown, <action>_skipped
    event: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AlertGroupRow(Base):
    """Per channel, what it was last told about a group of alerts (Alertmanager's notification log)."""

    __tablename__ = "alert_groups"
    __table_args__ = (UniqueConstraint("monitor_id", "channel", "group_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(200))
    group_key: Mapped[str] = mapped_column(String(64))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    firing: Mapped[list[str]] = mapped_column(JSON, default=list)  # fingerprints told as firing
    last_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    notifications: Mapped[int] = mapped_column(Integer, default=0)


class SilenceRow(Base):
    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matchers: Mapped[list[str]] = mapped_column(JSON)  # "name=value", "name!=value", "name=~re", "name!~re"
    author: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The key that created it (the author is what the person typed).
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class RetrainCooldownRow(Base):
    """When an action (retrain, rollback, promote) of a model last went out through a channel: one
    cause, one action. A channel has one type, so (channel, model) is per action as well."""

    __tablename__ = "retrain_cooldowns"
    __table_args__ = (UniqueConstraint("channel", "model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    last_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_key: Mapped[str | None] = mapped_column(String(100), nullable=True)


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


class MetricRuleCursorRow(Base):
    """How far a metric rule of a monitor has judged: windows ending by `judged_through` are done.

    Metric rules judge a window when its labels are known, days after it ran, in window order; this is
    where each rule stands, even for a rule whose alert never breached (and so has no alerts row)."""

    __tablename__ = "metric_rule_cursors"
    __table_args__ = (UniqueConstraint("monitor_id", "rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(200))
    judged_through: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
