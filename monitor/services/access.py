"""API keys and who a request is: create, list and revoke keys, authenticate a token or a browser
session, and decide what a scope allows.

Tokens are 256 random bits; only their SHA-256 is stored. A slow password hash (bcrypt, scrypt)
protects secrets people choose, which can be guessed; a random 256-bit token cannot be, so one
SHA-256 is as safe and lets a key be found by its hash in one indexed lookup."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.pipeline.runtime import Runtime
from monitor.services.access_types import KeyOut
from monitor.services.audit import record
from monitor.store import Conflict, transaction
from monitor.store import access as store
from monitor.store.access_tables import ApiKeyRow

SCOPES = ("read", "ingest", "operate", "admin")
# What each scope may do. Ingest keys push rows and nothing else (a pipeline's key leaks no data).
GRANTS: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "ingest": frozenset({"ingest"}),
    "operate": frozenset({"read", "operate"}),
    "admin": frozenset({"read", "ingest", "operate", "admin"}),
}
TOKEN_PREFIX = "mm_"


class KeyProblem(LookupError):
    """A key that cannot be created or found, with why."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: a key's name and what it may do."""

    name: str
    scope: str
    models: tuple[str, ...] = ()  # an ingest key's models; empty: every model

    def can(self, need: str) -> bool:
        return need in GRANTS.get(self.scope, frozenset())

    def can_push(self, model: str) -> bool:
        return self.can("ingest") and (not self.models or model in self.models)


# Every request while `auth.enabled` is off (a loopback demo).
AUTH_OFF = Principal("anonymous (auth off)", "admin")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_key(
    runtime: Runtime,
    *,
    name: str,
    scope: str,
    models: list[str],
    expires_in: timedelta | None,
    actor: str,
) -> tuple[str, KeyOut]:
    """A new key; returns its token, which is shown this once and never again."""
    if scope not in SCOPES:
        raise KeyProblem(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
    if models and scope != "ingest":
        raise KeyProblem("models limit ingest keys only; a read, operate or admin key sees every monitor")
    if not name.strip() or len(name) > 200:
        raise KeyProblem("a key needs a name of 1 to 200 characters")
    token, now = new_token(), runtime.clock()
    try:
        with transaction(runtime.sessions) as session:
            row = store.add_key(
                session,
                name=name,
                token_hash=token_hash(token),
                scope=scope,
                models=models,
                created_by=actor,
                now=now,
                expires_at=None if expires_in is None else now + expires_in,
            )
            info = KeyOut.from_row(row)
            record(session, actor=actor, action="key.create", target=name, details={"scope": scope}, at=now)
    except Conflict:
        raise KeyProblem(f"a key named {name!r} exists already") from None
    return token, info


def list_keys(runtime: Runtime) -> list[KeyOut]:
    with runtime.sessions() as session:
        return [KeyOut.from_row(row) for row in store.list_keys(session=session)]


def revoke_key(runtime: Runtime, name: str, *, actor: str) -> KeyOut:
    now = runtime.clock()
    with transaction(runtime.sessions) as session:
        row = store.key_named(session=session, name=name)
        if row is None:
            raise KeyProblem(f"no key named {name!r}")
        if row.revoked_at is None:
            store.revoke_key(session, key_id=row.id, now=now)
            record(session, actor=actor, action="key.revoke", target=name, details={}, at=now)
        session.refresh(row)
        return KeyOut.from_row(row)


def sync_configured_keys(runtime: Runtime) -> None:
    """The config's keys (`auth.keys`, tokens from `${VAR}`) become usable keys; removed ones revoked."""
    keys = [(k.name, token_hash(k.token), k.scope, list(k.models)) for k in runtime.config.auth.keys]
    for attempt in range(3):
        try:
            with transaction(runtime.sessions) as session:
                store.sync_config_keys(session, keys, now=runtime.clock())
            return
        except Conflict:  # another instance starting at the same moment added them: read again
            if attempt == 2:
                raise


def _principal(row: ApiKeyRow | None) -> Principal | None:
    return None if row is None else Principal(row.name, row.scope, tuple(row.models or ()))


def authenticate(runtime: Runtime, token: str) -> Principal | None:
    """The key a bearer token belongs to, while it is neither revoked nor expired."""
    now = runtime.clock()
    with transaction(runtime.sessions) as session:
        row = store.usable_key(session=session, token_hash=token_hash(token), now=now)
        if row is not None:
            store.touch_key(session, key_id=row.id, now=now)
        return _principal(row)


def open_session(runtime: Runtime, token: str) -> tuple[str, datetime] | None:
    """A browser session for a valid key: (session token for the cookie, when it ends)."""
    now = runtime.clock()
    cookie = secrets.token_urlsafe(32)
    expires = now + runtime.config.auth.session_max_age
    with transaction(runtime.sessions) as session:
        row = store.usable_key(session=session, token_hash=token_hash(token), now=now)
        if row is None:
            return None
        store.add_web_session(
            session, token_hash=token_hash(cookie), key_id=row.id, now=now, expires_at=expires
        )
        store.touch_key(session, key_id=row.id, now=now)
        record(session, actor=row.name, action="login", target=row.name, details={}, at=now)
    return cookie, expires


def session_principal(runtime: Runtime, cookie: str) -> Principal | None:
    with runtime.sessions() as session:
        return _principal(
            store.web_session_key(session=session, token_hash=token_hash(cookie), now=runtime.clock())
        )


def close_session(runtime: Runtime, cookie: str) -> None:
    with transaction(runtime.sessions) as session:
        store.end_web_session(session, token_hash=token_hash(cookie), now=runtime.clock())
