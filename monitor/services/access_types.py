"""API models of access control: keys and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from monitor.store.access_tables import ApiKeyRow, AuditEventRow


class KeyOut(BaseModel):
    name: str
    scope: str
    models: list[str]
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_row(cls, row: ApiKeyRow) -> KeyOut:
        return cls(
            name=row.name,
            scope=row.scope,
            models=list(row.models or []),
            created_at=row.created_at,
            created_by=row.created_by,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )


class KeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[\w.@:-]+$")
    scope: Literal["read", "ingest", "operate", "admin"]
    models: list[str] = Field(default_factory=list, max_length=100)
    # A duration such as 90d or 12h; none: the key does not expire.
    expires: str | None = Field(None, pattern=r"^\s*\d{1,5}\s*[smhdw]\s*$")


class KeyCreatedOut(BaseModel):
    token: str = Field(description="Shown this once; only its SHA-256 is stored")
    key: KeyOut


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]

    @classmethod
    def from_row(cls, row: AuditEventRow) -> AuditOut:
        return cls(
            at=row.at, actor=row.actor, action=row.action, target=row.target, details=dict(row.details or {})
        )


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    limit: int
    offset: int
