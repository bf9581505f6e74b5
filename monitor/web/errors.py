"""Errors as the client reads them: JSON under /api/ and on the machine routes (health, metrics, the
OpenAPI schema), an HTML page everywhere else. A 500 page shows no traceback."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.reports.render import render

JSON_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/openapi.json")
TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 422: "Invalid request"}


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith(JSON_PREFIXES)


def error_page(status: int, message: str, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    title = TITLES.get(status, "Server error" if status >= 500 else "Error")
    body = render("error.html", status=status, title=title, message=message)
    return HTMLResponse(body, status_code=status, headers=dict(headers or {}))


def validation_message(exc: RequestValidationError) -> str:
    """`run_id: Input should be a valid integer` for each wrong part of the request."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def allowed_methods(request: Request) -> str | None:
    """Every method the API documents for the request's path (Starlette's 405 names only those of
    the first route that matched the path, when several routes share it)."""
    paths = request.app.openapi().get("paths", {})
    found: set[str] = set()
    for template, operations in paths.items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), request.url.path):
            found |= {method.upper() for method in operations}
    return ", ".join(sorted(found)) or None


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if wants_json(request):
        if exc.status_code == 405 and (allowed := allowed_methods(request)):
            exc.headers = {**(exc.headers or {}), "Allow": allowed}
        return await http_exception_handler(request, exc)
    return error_page(exc.status_code, str(exc.detail), exc.headers)


def _sendable(value: Any) -> Any:
    """A validation error's parts as JSON can carry them: the request's own text may hold a lone
    surrogate (a "\\ud800" escape), which no UTF-8 answer can; it is escaped, not echoed raw."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_sendable(k): _sendable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sendable(v) for v in value]
    return value


async def on_invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_json(request):
        return JSONResponse({"detail": _sendable(jsonable_encoder(exc.errors()))}, status_code=422)
    return error_page(422, _sendable(validation_message(exc)))


async def on_unhandled(request: Request, exc: Exception) -> Response:
    """Starlette logs the exception with its traceback after this answers; the client sees none."""
    if wants_json(request):
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
    try:
        return error_page(500, "Something went wrong on the server; the error is in its log.")
    except Exception:  # the templates themselves failing: still no traceback to the client
        return HTMLResponse("<!doctype html><title>500</title><h1>500 · Server error</h1>", status_code=500)


async def on_too_deep(request: Request, exc: Exception) -> Response:
    """A JSON body nested deeper than Python's parser recurses: the client's mistake, not ours."""
    message = "the request body is nested too deeply"
    return (
        JSONResponse({"detail": message}, status_code=400)
        if wants_json(request)
        else error_page(400, message)
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RecursionError, on_too_deep)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(Exception, on_unhandled)
