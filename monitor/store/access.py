"""API keys, browser sessions and the audit log. Keys and sessions are found by the SHA-256 of their
token; the tokens themselves are never stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from monitor.store.access_tables import ApiKeyRow, AuditEventRow, WebSessionRow

CONFIG_KEY_AUTHOR = "config"  # created_by of keys that come from the config file
# last_used_at is written at most this often per key, so reads do not each cost a write.
TOUCH_EVERY = timedelta(minutes=1)


def add_key(
    session: Session,
    *,
    name: str,
    token_hash: str,
    scope: str,
    models: Sequence[str],
    created_by: str,
    now: datetime,
    expires_at: datetime | None,
) -> ApiKeyRow:
    """Raises Conflict (IntegrityError) when the name is taken."""
    row = ApiKeyRow(
        name=name,
        token_hash=token_hash,
        scope=scope,
        models=list(models),
        created_by=created_by,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row


def list_keys(*, session: Session) -> list[ApiKeyRow]:
    return list(session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)))


def key_named(*, session: Session, name: str) -> ApiKeyRow | None:
    return session.scalars(select(ApiKeyRow).where(ApiKeyRow.name == name)).first()


def usable_key(*, session: Session, token_hash: str, now: datetime) -> ApiKeyRow | None:
    """The key with this token, unless it was revoked or has expired."""
    return session.scalars(
        select(ApiKeyRow).where(
            ApiKeyRow.token_hash == token_hash,
            ApiKeyRow.revoked_at.is_(None),
            or_(ApiKeyRow.expires_at.is_(None), ApiKeyRow.expires_at > now),
        )
    ).first()


def touch_key(session: Session, *, key_id: int, now: datetime) -> None:
    session.execute(
        update(ApiKeyRow)
        .where(
            ApiKeyRow.id == key_id,
            or_(ApiKeyRow.last_used_at.is_(None), ApiKeyRow.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
    )


def revoke_key(session: Session, *, key_id: int, now: datetime) -> None:
    session.execute(update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(revoked_at=now))
    session.execute(delete(WebSessionRow).where(WebSessionRow.key_id == key_id))


def sync_config_keys(
    session: Session, keys: Sequence[tuple[str, str, str, list[str]]], *, now: datetime
) -> None:
    """Makes the keys from the config, (name, token hash, scope, models), the config keys in the
    table: added or updated, and those no longer configured revoked."""
    existing = {
        row.name: row
        for row in session.scalars(select(ApiKeyRow).where(ApiKeyRow.created_by == CONFIG_KEY_AUTHOR))
    }
    for name, token_hash, scope, models in keys:
        row = existing.pop(name, None)
        if row is None:
            add_key(
                session,
                name=name,
                token_hash=token_hash,
                scope=scope,
                models=models,
                created_by=CONFIG_KEY_AUTHOR,
                now=now,
                expires_at=None,
            )
        else:
            row.token_hash, row.scope, row.models, row.revoked_at = token_hash, scope, list(models), None
    for row in existing.values():
        if row.revoked_at is None:
            revoke_key(session, key_id=row.id, now=now)


def add_web_session(
    session: Session, *, token_hash: str, key_id: int, now: datetime, expires_at: datetime
) -> None:
    session.add(WebSessionRow(token_hash=token_hash, key_id=key_id, created_at=now, expires_at=expires_at))


def web_session_key(*, session: Session, token_hash: str, now: datetime) -> ApiKeyRow | None:
    """The key a browser session was opened with, while both are valid."""
    return session.scalars(
        select(ApiKeyRow)
        .join(WebSessionRow, WebSessionRow.key_id == ApiKeyRow.id)
        .where(
            WebSessionRow.token_hash == token_hash,
            WebSessionRow.expires_at > now,
            ApiKeyRow.revoked_at.is_(None),
            or_(ApiKeyRow.expires_at.is_(None), ApiKeyRow.expires_at > now),
        )
    ).first()


def end_web_session(session: Session, *, token_hash: str, now: datetime) -> None:
    """Logs the session out, and removes any session that has expired anyway."""
    session.execute(
        delete(WebSessionRow).where(
            or_(WebSessionRow.token_hash == token_hash, WebSessionRow.expires_at <= now)
        )
    )


def add_audit(
    session: Session, *, at: datetime, actor: str, action: str, target: str, details: dict[str, Any]
) -> None:
    session.add(
        AuditEventRow(at=at, actor=actor[:200], action=action[:60], target=target[:300], details=details)
    )


def audit_events(*, session: Session, limit: int, offset: int) -> tuple[list[AuditEventRow], int]:
    """Newest first, and how many there are in all."""
    total = int(session.scalar(select(func.count()).select_from(AuditEventRow)) or 0)
    rows = session.scalars(
        select(AuditEventRow)
        .order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def count_audit(*, session: Session, action: str, target: str, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditEventRow)
            .where(AuditEventRow.action == action, AuditEventRow.target == target, AuditEventRow.at >= since)
        )
        or 0
    )
