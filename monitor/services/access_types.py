"""API models of access control: keys and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from monitor.services.access import KeyInfo
from monitor.services.audit import AuditEntry


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
    def of(cls, info: KeyInfo) -> KeyOut:
        return cls(**info.__dict__)


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
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(**entry.__dict__)


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    limit: int
    offset: int
