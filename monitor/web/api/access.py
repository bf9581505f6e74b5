"""Admin API: API keys (create, list, revoke) and the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from monitor.config import parse_duration
from monitor.services import access, audit
from monitor.services.access_types import AuditPage, KeyCreatedOut, KeyIn, KeyOut
from monitor.web.auth import Admin
from monitor.web.deps import RuntimeDep

router = APIRouter(tags=["admin"])
_ADMIN: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid key"},
    403: {"description": "The key is not an admin key"},
}


@router.get("/keys", response_model=list[KeyOut], responses=_ADMIN)
def list_keys(runtime: RuntimeDep, _who: Admin) -> list[KeyOut]:
    return access.list_keys(runtime)


@router.post(
    "/keys",
    response_model=KeyCreatedOut,
    status_code=201,
    responses={**_ADMIN, 409: {"description": "The name is taken"}},
)
async def create_key(body: KeyIn, runtime: RuntimeDep, who: Admin) -> KeyCreatedOut:
    try:
        expires: timedelta | None = parse_duration(body.expires) if body.expires else None
    except ValueError as exc:
        raise HTTPException(422, f"expires: {exc}") from None
    try:
        token, info = await run_in_threadpool(
            lambda: access.create_key(
                runtime,
                name=body.name,
                scope=body.scope,
                models=body.models,
                expires_in=expires,
                actor=who.name,
            )
        )
    except access.KeyProblem as exc:
        raise HTTPException(409 if "exists" in str(exc) else 422, str(exc)) from None
    return KeyCreatedOut(token=token, key=info)


@router.delete(
    "/keys/{name}", response_model=KeyOut, responses={**_ADMIN, 404: {"description": "No such key"}}
)
def revoke_key(name: str, runtime: RuntimeDep, who: Admin) -> KeyOut:
    try:
        return access.revoke_key(runtime, name, actor=who.name)
    except access.KeyProblem as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/audit", response_model=AuditPage, responses=_ADMIN)
def audit_log(
    runtime: RuntimeDep,
    _who: Admin,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> AuditPage:
    entries, total = audit.audit_log(runtime, limit=limit, offset=offset)
    return AuditPage(items=entries, total=total, limit=limit, offset=offset)
