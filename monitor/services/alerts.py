"""Service functions of alerting behind the API, the pages and the CLI: silences, the delivery log
and its dead letters, an alert's history, a channel's test message. Routes and commands only call these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from pydantic import TypeAdapter, ValidationError

from monitor.alerting.context import routing_labels
from monitor.config import ACTIONS, Config, Duration
from monitor.errors import UserError
from monitor.notify import Delivery, TestMessage, build_notifier
from monitor.notify.messages import from_payload, headline
from monitor.rules import MatcherError, check_matchers, parse_matcher, silenced_by
from monitor.services.alert_types import (
    ActionOut,
    AlertDetailOut,
    AlertEventOut,
    ChannelTestOut,
    DeliveryAttemptOut,
    NotificationOut,
    SilenceOut,
)
from monitor.services.types import AlertOut
from monitor.store import Session, SessionFactory, outbox
from monitor.store import alerts as repo
from monitor.store.tables import AlertEventRow, DeliveryAttemptRow, OutboxRow

DEFAULT_SILENCE = timedelta(hours=2)


class AlertInputError(UserError):
    """A request that cannot be carried out as asked; the message says why."""


class NotFound(LookupError):
    """No such silence, alert or notification."""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _duration(value: str | timedelta) -> timedelta:
    try:
        return TypeAdapter(Duration).validate_python(value)
    except ValidationError:
        raise AlertInputError(f"duration {value!r} is not a duration such as 30m, 2h or 3d") from None


def create_silence(
    sessions: SessionFactory,
    *,
    matchers: Sequence[str],
    author: str,
    comment: str,
    now: datetime,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    duration: str | timedelta | None = None,
    created_by: str | None = None,
) -> SilenceOut:
    """`created_by`: the key that asked (the API), beside the author the person typed."""
    try:
        parsed = [parse_matcher(m) for m in matchers]
        check_matchers(parsed)
    except MatcherError as exc:
        raise AlertInputError(str(exc)) from None
    if not author.strip():
        raise AlertInputError("a silence needs an author")
    if not comment.strip():
        raise AlertInputError("a silence needs a comment saying why")
    start = _aware(starts_at) if starts_at is not None else now
    if ends_at is not None and duration is not None:
        raise AlertInputError("give either an end time or a duration, not both")
    if ends_at is None:
        end = start + (_duration(duration) if duration is not None else DEFAULT_SILENCE)
    else:
        end = _aware(ends_at)
    if end <= start or end <= now:
        raise AlertInputError("a silence must end after it starts and in the future")
    with sessions() as session, session.begin():
        row = repo.add_silence(
            session=session,
            matchers=[str(m) for m in parsed],
            author=author.strip(),
            comment=comment.strip(),
            starts_at=start,
            ends_at=end,
            now=now,
            created_by=created_by,
        )
        return SilenceOut.from_row(row, now)


def list_silences(
    sessions: SessionFactory,
    *,
    now: datetime,
    include_expired: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[SilenceOut]:
    with sessions() as session:
        rows = repo.silences(session=session, now=now, include_expired=include_expired)
        shown = rows[offset : None if limit is None else offset + limit]
        return [SilenceOut.from_row(r, now) for r in shown]


def expire_silence(sessions: SessionFactory, silence_id: int, *, now: datetime) -> SilenceOut:
    with sessions() as session, session.begin():
        row = repo.expire_silence(session=session, silence_id=silence_id, now=now)
        if row is None:
            raise NotFound(f"no silence {silence_id}")
        return SilenceOut.from_row(row, now)


def alert_detail(
    sessions: SessionFactory, alert_id: int, *, now: datetime, models: Mapping[str, str]
) -> AlertDetailOut:
    with sessions() as session:
        found = repo.alert_with_events(session=session, alert_id=alert_id)
        if found is None:
            raise NotFound(f"no alert {alert_id}")
        alert, monitor, events = found
        labels = routing_labels(
            alert.labels, monitor=monitor, model=models.get(monitor, ""), severity=alert.severity
        )
        muting = silenced_by(labels, repo.active_silences(session=session, now=now), now)
        base = AlertOut.from_row(alert, monitor).model_dump()
        return AlertDetailOut(
            **base,
            silenced_by=muting,
            events=[AlertEventOut.from_row(e) for e in events],
            actions=_actions(session, events),
        )


def _actions(session: Session, events: Sequence[AlertEventRow]) -> list[ActionOut]:
    """The actions an alert caused, from its history, each with its request's delivery."""
    caused = [e for e in events if e.event.partition("_")[0] in ACTIONS]
    keys = [str(e.details["idempotency_key"]) for e in caused if e.details.get("idempotency_key")]
    sent = outbox.notifications_by_key(session=session, keys=keys)
    found = []
    for event in caused:
        action, _, step = event.event.partition("_")
        key = event.details.get("idempotency_key")
        row, attempts = sent.get(key, (None, [])) if key else (None, [])
        told = [a.detail for a in attempts if a.detail]
        found.append(
            ActionOut(
                action=action,
                event=event.event,
                at=event.at,
                channel=event.details.get("channel"),
                status=row.status if row is not None else step,
                outcome=told[-1] if told else None,
                error=row.last_error if row is not None else event.details.get("reason"),
                idempotency_key=key,
                notification_id=row.id if row is not None else None,
                details=dict(event.details),
                attempts=[DeliveryAttemptOut.from_row(a) for a in attempts],
            )
        )
    return found


def notification_out(row: OutboxRow, attempts: Sequence[DeliveryAttemptRow]) -> NotificationOut:
    try:
        title = headline(from_payload(row.payload))
    except (TypeError, ValueError, KeyError):
        title = f"{row.kind} notification"
    return NotificationOut(
        id=row.id,
        channel=row.channel,
        kind=row.kind,
        status=row.status,
        headline=title,
        monitor=row.payload.get("monitor"),
        idempotency_key=row.idempotency_key,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        give_up_at=row.give_up_at,
        last_error=row.last_error,
        last_status_code=row.last_status_code,
        payload=dict(row.payload),
        attempt_log=[DeliveryAttemptOut.from_row(a) for a in attempts],
    )


def list_notifications(
    sessions: SessionFactory, *, status: str | None = None, limit: int = 100
) -> tuple[list[NotificationOut], dict[str, int]]:
    with sessions() as session:
        rows = outbox.notifications(session=session, status=status, limit=limit)
        counts = outbox.notification_counts(session=session)
        return [notification_out(r, a) for r, a in rows], counts


def resend(sessions: SessionFactory, outbox_id: int, *, now: datetime, max_age: timedelta) -> NotificationOut:
    """Puts a dead letter back in the queue; the dispatcher sends it with its original Idempotency-Key."""
    with sessions() as session, session.begin():
        row = outbox.outbox_row(session=session, outbox_id=outbox_id)
        if row is None:
            raise NotFound(f"no notification {outbox_id}")
        if row.status != "dead":
            raise AlertInputError(f"notification {outbox_id} is {row.status}, not a dead letter")
        outbox.resend(session=session, outbox_id=outbox_id, now=now, max_age=max_age)
        session.flush()
        return notification_out(row, [])


def send_test(config: Config, channel: str, *, now: datetime) -> ChannelTestOut:
    """Sends a test message to a configured channel now (not through the outbox) and says how it went."""
    settings = config.notifiers.get(channel)
    if settings is None:
        known = ", ".join(sorted(config.notifiers)) or "none configured"
        raise NotFound(f"no notifier named {channel!r} (known: {known})")
    notifier = build_notifier(channel, settings)
    message = TestMessage(
        channel=channel,
        text=f"Test message from model-monitor to {channel!r} ({settings.type}) at {now.isoformat()}",
        sent_at=now.isoformat(),
    )
    try:
        result = notifier.send(message, idempotency_key=f"test-{channel}-{now.timestamp():.0f}")
    except Exception as exc:  # a channel bug: report it, redacted, as a failed send
        result = Delivery(ok=False, retryable=True, error=notifier.redact(f"{type(exc).__name__}: {exc}"))
    return ChannelTestOut(
        channel=channel,
        ok=result.ok,
        retryable=result.retryable,
        status_code=result.status_code,
        error=result.error,
    )
