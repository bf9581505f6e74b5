"""JSON API of alerting: an alert's history, silences, the delivery log, dead letters, channel tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from monitor.services import alerts as alert_service
from monitor.services import audit
from monitor.services.alert_types import (
    AlertDetailOut,
    ChannelTestOut,
    NotificationList,
    NotificationOut,
    SilenceIn,
    SilenceList,
    SilenceOut,
)
from monitor.web.auth import Operator
from monitor.web.deps import OffsetQuery, RowIdPath, RuntimeDep

router = APIRouter(tags=["alerts"])
T = TypeVar("T")


def _call(action: Callable[[], T]) -> T:
    """Service errors as HTTP answers: unknown ids are 404, requests that cannot be done are 422."""
    try:
        return action()
    except alert_service.NotFound as exc:
        raise HTTPException(404, str(exc).strip("'\"")) from None
    except alert_service.AlertInputError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/alerts/{alert_id}", response_model=AlertDetailOut)
def get_alert(alert_id: RowIdPath, runtime: RuntimeDep) -> AlertDetailOut:
    """An alert with its history: every transition, notification and suppression."""
    return _call(
        lambda: alert_service.alert_detail(
            runtime.sessions, alert_id, now=runtime.clock(), models=runtime.models()
        )
    )


@router.get("/silences", response_model=SilenceList)
def list_silences(
    runtime: RuntimeDep,
    expired: bool = False,
    limit: int = Query(500, ge=1, le=1000),
    offset: OffsetQuery = 0,
) -> SilenceList:
    found = alert_service.list_silences(
        runtime.sessions, now=runtime.clock(), include_expired=expired, limit=limit, offset=offset
    )
    return SilenceList(items=found)


@router.post("/silences", response_model=SilenceOut, status_code=201)
def create_silence(body: SilenceIn, runtime: RuntimeDep, who: Operator) -> SilenceOut:
    return _call(
        lambda: alert_service.create_silence(
            runtime.sessions,
            matchers=body.matchers,
            author=body.author,
            comment=body.comment,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            duration=body.duration,
            now=runtime.clock(),
            created_by=who.name,
        )
    )


@router.post("/silences/{silence_id}/expire", response_model=SilenceOut)
def expire_silence(silence_id: RowIdPath, runtime: RuntimeDep) -> SilenceOut:
    return _call(lambda: alert_service.expire_silence(runtime.sessions, silence_id, now=runtime.clock()))


@router.delete("/silences/{silence_id}", response_model=SilenceOut)
def delete_silence(silence_id: RowIdPath, runtime: RuntimeDep) -> SilenceOut:
    """Expires the silence now; it stays listed (with `expired=true`) for the record."""
    return _call(lambda: alert_service.expire_silence(runtime.sessions, silence_id, now=runtime.clock()))


@router.get("/notifications", response_model=NotificationList)
def list_notifications(
    runtime: RuntimeDep, status: str | None = None, limit: int = Query(100, ge=1, le=1000)
) -> NotificationList:
    """The outbox, newest first, each notification with every delivery attempt."""
    items, counts = alert_service.list_notifications(runtime.sessions, status=status, limit=limit)
    return NotificationList(items=items, counts=counts)


@router.get("/dead-letters", response_model=NotificationList)
def list_dead_letters(runtime: RuntimeDep, limit: int = Query(100, ge=1, le=1000)) -> NotificationList:
    items, counts = alert_service.list_notifications(runtime.sessions, status="dead", limit=limit)
    return NotificationList(items=items, counts=counts)


@router.post("/dead-letters/{outbox_id}/resend", response_model=NotificationOut)
def resend(outbox_id: RowIdPath, runtime: RuntimeDep) -> NotificationOut:
    """Queues a dead letter again, with its original Idempotency-Key, due now."""
    max_age = runtime.config.alerting.delivery_max_age
    return _call(
        lambda: alert_service.resend(runtime.sessions, outbox_id, now=runtime.clock(), max_age=max_age)
    )


# Test messages a channel takes per minute, whoever asks (a test is for a person checking a channel,
# not a way to flood it).
TESTS_PER_MINUTE = 5


@router.post(
    "/notifiers/{channel}/test",
    response_model=ChannelTestOut,
    responses={429: {"description": f"More than {TESTS_PER_MINUTE} tests of the channel in a minute"}},
)
async def test_channel(channel: str, runtime: RuntimeDep, who: Operator) -> ChannelTestOut:
    """Sends a test message to a configured channel now and says how it went."""
    allowed = await run_in_threadpool(
        lambda: audit.allow_once_more(
            runtime, actor=who.name, action="notifier.test", target=channel, limit=TESTS_PER_MINUTE
        )
    )
    if not allowed:
        raise HTTPException(
            429, f"at most {TESTS_PER_MINUTE} test messages a minute to a channel", {"Retry-After": "60"}
        )
    return await run_in_threadpool(
        _call, lambda: alert_service.send_test(runtime.config, channel, now=runtime.clock())
    )
