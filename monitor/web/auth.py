"""Who a request is (a bearer token, or a browser session's cookie) and whether its scope allows
the route: `Depends(require("operate"))`. HTML routes send an unknown visitor to the login page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from monitor.reports.render import VIEWER, Viewer
from monitor.services import access, audit
from monitor.services.access import Principal

SESSION_COOKIE = "monitor_session"


class LoginRequired(Exception):
    """An HTML route asked for without a login: answered with a redirect to /login."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _identify(request: Request) -> Principal | None:
    runtime = request.app.state.runtime
    if not runtime.config.auth.enabled:
        return access.AUTH_OFF
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 400:
            return None
        return access.authenticate(runtime, token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and len(cookie) <= 200:
        return access.session_principal(runtime, cookie)
    return None


async def principal(request: Request) -> Principal | None:
    """Who is asking, or None (no credentials, or a wrong, expired or revoked key)."""
    if hasattr(request.state, "principal"):
        known: Principal | None = request.state.principal
        return known
    found = await run_in_threadpool(_identify, request)
    request.state.principal = found
    auth_off = not request.app.state.runtime.config.auth.enabled
    VIEWER.set(None if found is None else Viewer(found.name, found.scope, auth_off))
    return found


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path != "/metrics"


def require(need: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the principal when its scope grants `need`; 401 without a valid key (a redirect
    to the login page for a page), 403 with too small a scope."""

    async def check(request: Request, who: Annotated[Principal | None, Depends(principal)]) -> Principal:
        if who is None:
            if _is_page(request) and request.method == "GET":
                raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            raise HTTPException(
                401, "an API key is needed: Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"}
            )
        if not who.can(need):
            raise HTTPException(403, f"the key {who.name!r} ({who.scope}) may not do this: it needs {need}")
        return who

    return check


Reader = Annotated[Principal, Depends(require("read"))]
Operator = Annotated[Principal, Depends(require("operate"))]
Ingester = Annotated[Principal, Depends(require("ingest"))]
Admin = Annotated[Principal, Depends(require("admin"))]


async def by_method(request: Request, who: Annotated[Principal | None, Depends(principal)]) -> Principal:
    """Reading needs `read`, anything else `operate`: the rule of the monitors, runs and alerts API."""
    need = "read" if request.method in ("GET", "HEAD") else "operate"
    return await require(need)(request, who)


async def may_push(request: Request, who: Annotated[Principal | None, Depends(principal)]) -> Principal:
    """An ingest key, limited to its models: pushing for another model is refused (403)."""
    found = await require("ingest")(request, who)
    model = str(request.path_params.get("model", ""))
    if not found.can_push(model):
        raise HTTPException(403, f"the key {found.name!r} may not push rows for model {model[:200]!r}")
    return found


async def audited(
    request: Request, who: Annotated[Principal | None, Depends(principal)]
) -> AsyncIterator[None]:
    """Records each change that succeeded (the route returned) in the audit log: who, which route,
    what it was about. Used with scope="function", so the entry is written before the answer goes
    out: a client that reads the log next finds it."""
    yield
    if request.method in ("GET", "HEAD", "OPTIONS") or who is None:
        return
    action = f"{request.method} {request.url.path}"
    target = "/".join(str(v) for v in request.path_params.values())[:300] or request.url.path[:300]
    runtime = request.app.state.runtime
    await run_in_threadpool(
        audit.log_action, runtime, actor=who.name, action=action[:60], target=target, details={}
    )
