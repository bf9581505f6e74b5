"""API models of alerting: alert histories, silences, the delivery log and channel tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from monitor.services.types import PLAUSIBLE_TIME, AlertOut
from monitor.sources.ingest_rows import unstorable
from monitor.store.tables import AlertEventRow, DeliveryAttemptRow, SilenceRow


class AlertEventOut(BaseModel):
    id: int
    at: datetime
    event: str
    state: str
    value: float | None
    threshold: float | None
    summary: str
    window_end: datetime | None
    run_id: int | None
    details: dict[str, Any]

    @classmethod
    def from_row(cls, row: AlertEventRow) -> AlertEventOut:
        return cls(
            id=row.id,
            at=row.at,
            event=row.event,
            state=row.state,
            value=row.value,
            threshold=row.threshold,
            summary=row.summary,
            window_end=row.window_end,
            run_id=row.run_id,
            details=row.details or {},
        )


class DeliveryAttemptOut(BaseModel):
    attempt: int
    dispatcher: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    status_code: int | None
    error: str | None
    retry_after: float | None
    # What the channel did beyond delivering: an action's outcome ("MLflow credit alias champion: 4 -> 3").
    detail: str | None = None

    @classmethod
    def from_row(cls, row: DeliveryAttemptRow) -> DeliveryAttemptOut:
        return cls(
            attempt=row.attempt,
            dispatcher=row.dispatcher,
            started_at=row.started_at,
            finished_at=row.finished_at,
            outcome=row.outcome,
            status_code=row.status_code,
            error=row.error,
            retry_after=row.retry_after,
            detail=row.detail,
        )


class ActionOut(BaseModel):
    """An action the alert caused (retrain, rollback, promote): what was decided when it fired, and what
    its channel did when the request was delivered."""

    action: str
    event: str  # <action>_requested, <action>_cooldown, <action>_skipped
    at: datetime
    channel: str | None
    # requested: the request's delivery (pending, sending, delivered, dead); else cooldown or skipped.
    status: str
    # What was done: the last attempt's account ("MLflow credit alias champion: 4 -> 3", "dry run: ...").
    outcome: str | None
    error: str | None  # why the last attempt failed
    idempotency_key: str | None
    notification_id: int | None
    details: dict[str, Any]
    attempts: list[DeliveryAttemptOut]


class AlertDetailOut(AlertOut):
    silenced_by: list[int]
    events: list[AlertEventOut]
    actions: list[ActionOut] = Field(default_factory=list)


class SilenceIn(BaseModel):
    """Matchers as `name=value`, `name!=value`, `name=~regex`, `name!~regex` (all must match)."""

    matchers: list[str] = Field(min_length=1, max_length=20)
    author: str = Field(min_length=1, max_length=200)
    comment: str = Field(min_length=1, max_length=2000)
    starts_at: datetime | None = Field(None, json_schema_extra=PLAUSIBLE_TIME)
    ends_at: datetime | None = Field(None, json_schema_extra=PLAUSIBLE_TIME)
    # Instead of ends_at: how long from the start, e.g. "2h", "3d".
    duration: str | None = Field(None, max_length=20)

    @field_validator("matchers", "author", "comment")
    @classmethod
    def _storable_text(cls, value: str | list[str]) -> str | list[str]:
        # What pushed rows refuse, for the same reasons (PostgreSQL text, UTF-8 answers).
        for text in [value] if isinstance(value, str) else value:
            if isinstance(value, list) and len(text) > 600:
                raise ValueError("a matcher is at most 600 characters")
            problem = unstorable(text)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        if value is not None and not (2000 <= value.year <= 2200):
            raise ValueError("a time between the years 2000 and 2200")
        return value


class SilenceOut(BaseModel):
    id: int
    matchers: list[str]
    author: str
    comment: str
    created_at: datetime
    starts_at: datetime
    ends_at: datetime
    state: str  # active, pending, expired
    created_by: str | None = None  # the key that created it, when made through the API

    @classmethod
    def from_row(cls, row: SilenceRow, now: datetime) -> SilenceOut:
        starts, ends = row.starts_at, row.ends_at
        state = "expired" if ends <= now else "pending" if starts > now else "active"
        return cls(
            id=row.id,
            matchers=list(row.matchers),
            author=row.author,
            comment=row.comment,
            created_at=row.created_at,
            starts_at=starts,
            ends_at=ends,
            state=state,
            created_by=row.created_by,
        )


class SilenceList(BaseModel):
    items: list[SilenceOut]


class NotificationOut(BaseModel):
    id: int
    channel: str
    kind: str
    status: str  # pending, sending, delivered, dead
    headline: str
    monitor: str | None
    idempotency_key: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    give_up_at: datetime | None
    last_error: str | None
    last_status_code: int | None
    payload: dict[str, Any]
    attempt_log: list[DeliveryAttemptOut]


class NotificationList(BaseModel):
    items: list[NotificationOut]
    counts: dict[str, int]


class ChannelTestOut(BaseModel):
    channel: str
    ok: bool
    retryable: bool
    status_code: int | None
    error: str | None
