"""Access control put together on an app: the request guard (hosts, origins, content types, body
sizes, security headers), the login redirect, and the keys from the config."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from monitor.pipeline.runtime import Runtime
from monitor.services import access
from monitor.web.auth import LoginRequired
from monitor.web.guard import BodyTooLarge, RequestGuard

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
# Bodies of routes other than ingest (silences, triggers, keys, forms): small JSON documents.
MAX_BODY_BYTES = 64 * 1024


def allowed_hosts(runtime: Runtime) -> set[str]:
    config = runtime.config
    hosts = {config.server.host.lower(), *LOOPBACK, *(h.lower() for h in config.auth.allowed_hosts)}
    public = urlsplit(config.public_url()).hostname
    if public:
        hosts.add(public.lower())
    return hosts


async def on_login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={quote(exc.path, safe='')}", status_code=303)


async def on_body_too_large(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=413)


def install_access_control(app: FastAPI, runtime: Runtime) -> None:
    access.sync_configured_keys(runtime)
    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(BodyTooLarge, on_body_too_large)
    app.add_middleware(
        RequestGuard,
        allowed_hosts=allowed_hosts(runtime),
        max_body_bytes=MAX_BODY_BYTES,
        body_limits={"/api/v1/models/": runtime.config.ingest.max_body_bytes},
    )
