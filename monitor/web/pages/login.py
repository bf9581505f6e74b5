"""Logging in with an API key: the browser gets a session cookie (HttpOnly, SameSite=Strict, Secure
over TLS); logging out ends the session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monitor.reports.render import render
from monitor.services import access
from monitor.services.access import Principal
from monitor.web.auth import SESSION_COOKIE, principal
from monitor.web.deps import RuntimeDep
from monitor.web.forms import read_form

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path of this site: never another host (`//evil`, `/\\evil`, `https://...`)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or len(target) > 2000:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(runtime: RuntimeDep, next: str = "/") -> HTMLResponse:
    return HTMLResponse(
        render("login.html", next=safe_next(next), error=None, auth_off=not runtime.config.auth.enabled)
    )


@router.post("/login")
async def login(request: Request, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    target = safe_next(form.get("next"))
    token = form.get("key", "").strip()
    opened = await run_in_threadpool(access.open_session, runtime, token) if 0 < len(token) <= 400 else None
    if opened is None:
        page = render(
            "login.html",
            next=target,
            error="That key is not valid (wrong, expired or revoked).",
            auth_off=False,
        )
        return HTMLResponse(page, status_code=401)
    cookie, expires = opened
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int((expires - runtime.clock()).total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
async def logout(
    request: Request, runtime: RuntimeDep, _who: Annotated[Principal | None, Depends(principal)]
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await run_in_threadpool(access.close_session, runtime, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
