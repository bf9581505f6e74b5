"""Claims of windows: who computes a (monitor, window), for how long (a lease renewed by a heartbeat),
taking over a claim that ran out, and failed attempts retried with backoff. Keyword-only sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.tables import RunRow


@dataclass(frozen=True)
class Claim:
    run_id: int | None  # None: not ours to run
    # claimed, retry, recompute, lease_expired; or why not: already_succeeded, running_elsewhere,
    # retry_later (a failed run's backoff has not passed), gave_up (its attempts ran out)
    reason: str
    # What the holder proves itself with when it renews, stores or fails the run.
    token: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class Leasing:
    """How long a claim lasts, and how often the scheduler may attempt a window."""

    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 5
    # Rows claimed before leases existed: taken over this long after their claim.
    stale_after: timedelta = timedelta(hours=1)


def claim_run(
    factory: sessionmaker[Session],
    *,
    monitor_id: int,
    start: datetime,
    end: datetime,
    trigger: str,
    now: datetime,
    recompute: bool = False,
    leasing: Leasing = Leasing(),
) -> Claim:
    """Take the (monitor, window) row for `leasing.lease` from `now`. The unique constraint makes a
    concurrent second claim fail; a taken-over row is a compare-and-set, so only one wins it."""
    token = uuid.uuid4().hex
    try:
        with factory() as session, session.begin():
            row = RunRow(
                monitor_id=monitor_id,
                window_start=start,
                window_end=end,
                status="running",
                trigger=trigger,
                attempts=1,
                claimed_at=now,
                started_at=now,
                claim_token=token,
                lease_until=now + leasing.lease,
                claim_reason="claimed",
            )
            session.add(row)
            session.flush()
            return Claim(row.id, "claimed", token)
    except IntegrityError:
        pass
    with factory() as session, session.begin():
        existing = session.scalars(
            select(RunRow).where(
                RunRow.monitor_id == monitor_id, RunRow.window_start == start, RunRow.window_end == end
            )
        ).one()
        reason = _takeover_reason(existing, trigger=trigger, now=now, recompute=recompute, leasing=leasing)
        if reason not in ("retry", "recompute", "lease_expired"):
            return Claim(None, reason)
        if _take_over(
            session, existing, trigger=trigger, now=now, lease=leasing.lease, token=token, reason=reason
        ):
            return Claim(existing.id, reason, token)
        return Claim(None, "running_elsewhere")


def _take_over(
    session: Session, run: RunRow, *, trigger: str, now: datetime, lease: timedelta, token: str, reason: str
) -> bool:
    """Compare-and-set on the row as read, so two instances taking over a run cannot both win."""
    taken = cast(
        CursorResult[Any],
        session.execute(
            update(RunRow)
            .where(RunRow.id == run.id, RunRow.status == run.status, RunRow.attempts == run.attempts)
            .values(
                status="running",
                trigger=trigger,
                attempts=RunRow.attempts + 1,
                claimed_at=now,
                started_at=now,
                finished_at=None,
                error=None,
                claim_token=token,
                lease_until=now + lease,
                next_retry_at=None,
                claim_reason=reason,
            )
        ),
    ).rowcount
    return taken == 1


def _takeover_reason(run: RunRow, *, trigger: str, now: datetime, recompute: bool, leasing: Leasing) -> str:
    if run.status == "succeeded":
        return "recompute" if recompute else "already_succeeded"
    if run.status == "running":
        expires = run.lease_until if run.lease_until is not None else run.claimed_at + leasing.stale_after
        return "lease_expired" if expires <= now else "running_elsewhere"
    # Failed: the scheduler waits out the backoff and stops at max_attempts; a person or a backfill
    # asking for the window tries it again now.
    if trigger == "schedule" and run.attempts >= leasing.max_attempts:
        return "gave_up"
    if trigger == "schedule" and run.next_retry_at is not None and run.next_retry_at > now:
        return "retry_later"
    return "retry"


def update_claimed_run(
    factory: sessionmaker[Session], run_id: int, token: str, values: dict[str, Any]
) -> bool:
    """Writes `values` to the run's row while its claim is ours (token, still running); False: not."""
    with factory() as session, session.begin():
        changed = cast(
            CursorResult[Any],
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.claim_token == token, RunRow.status == "running")
                .values(**values)
            ),
        ).rowcount
    return changed == 1


def renew_lease(factory: sessionmaker[Session], *, run_id: int, token: str, until: datetime) -> bool:
    """The heartbeat: False when the claim is no longer ours (it ran out and was taken over)."""
    return update_claimed_run(factory, run_id, token, {"lease_until": until})


class ClaimLost(Exception):
    """The run's claim ran out and another process took it over: nothing of this attempt is stored."""


def mark_run_failed(
    factory: sessionmaker[Session],
    *,
    run_id: int,
    error: str,
    now: datetime,
    token: str | None = None,
    retry_at: datetime | None = None,
) -> bool:
    """The attempt failed; the scheduler tries again from `retry_at`. With a token, only while the
    claim is still ours: False when it was lost (the run is someone else's now)."""
    condition = [RunRow.id == run_id]
    if token is not None:
        condition += [RunRow.claim_token == token, RunRow.status == "running"]
    with factory() as session, session.begin():
        started = session.scalar(select(RunRow.started_at).where(*condition))
        marked = cast(
            CursorResult[Any],
            session.execute(
                update(RunRow)
                .where(*condition)
                .values(
                    status="failed",
                    error=error[:4000],
                    finished_at=now,
                    duration_seconds=run_duration(started, now),
                    claim_token=None,
                    lease_until=None,
                    next_retry_at=retry_at,
                )
            ),
        ).rowcount
    return marked == 1


def attempts(*, session: Session, run_id: int) -> int:
    return int(session.scalar(select(RunRow.attempts).where(RunRow.id == run_id)) or 0)


def windows_due_again(
    *, session: Session, monitor_id: int, now: datetime, leasing: Leasing
) -> list[tuple[datetime, datetime]]:
    """(start, end) of windows to run again, oldest first: failed ones whose backoff has passed and
    attempts remain, and running ones whose claim ran out (the process computing them died)."""
    failed = (
        (RunRow.status == "failed")
        & (RunRow.attempts < leasing.max_attempts)
        & (RunRow.next_retry_at.is_(None) | (RunRow.next_retry_at <= now))
    )
    stuck = (RunRow.status == "running") & (
        (RunRow.lease_until <= now)
        | (RunRow.lease_until.is_(None) & (RunRow.claimed_at <= now - leasing.stale_after))
    )
    rows = session.execute(
        select(RunRow.window_start, RunRow.window_end)
        .where(RunRow.monitor_id == monitor_id, failed | stuck)
        .order_by(RunRow.window_end, RunRow.window_start)
    )
    return [(start, end) for start, end in rows]


def run_duration(started: datetime | None, finished: datetime) -> float | None:
    """Seconds an attempt took, for /metrics' run duration histogram."""
    return None if started is None else max(0.0, (finished - started).total_seconds())
