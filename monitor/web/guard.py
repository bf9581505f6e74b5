"""What every request passes before any route, whatever the auth setting: a known Host (DNS
rebinding), a same-origin Origin or Referer on anything that changes state (CSRF), the content type
the route documents (415), a bounded body (413); and the security headers on every answer.

A plain ASGI middleware: it sees the raw headers and can cut a body off mid-stream."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Parquet for pushed rows (monitor/sources/ingest_bodies.py); like JSON, a type a browser must ask
# before sending cross-site (a CORS preflight), which this service never grants.
API_TYPES = frozenset({"application/json", "application/x-ndjson", "application/vnd.apache.parquet"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded"})
# Scripts only from this origin, none inline; styles inline (the pages' own <style>, plotly's).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def csp_allowing_inline(html: str) -> str:
    """The policy, with each inline <script> of `html` allowed by its SHA-256 (the API docs pages,
    whose start-up script FastAPI writes inline), and nothing else inline."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(html):
        digest = hashlib.sha256(match.group(1).encode()).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    # ReDoc searches in a worker it makes from a blob.
    return (
        CSP.replace("script-src 'self'", " ".join(["script-src 'self'", *hashes]))
        + "; worker-src 'self' blob:"
    )


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _host_name(host: str) -> str:
    """`Host` without its port; an IPv6 literal keeps its brackets."""
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Iterable[str],
        max_body_bytes: int,
        body_limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.max_body_bytes = max_body_bytes
        self.body_limits = body_limits or {}  # path prefix -> its own limit (ingest)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self._refusal(scope)
        if refused is not None:
            await _answer(send, *refused)
            return
        limit = self._limit(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, f"the body is larger than the limit of {limit} bytes")
            return
        await self.app(scope, _bounded(receive, limit), _with_headers(send))

    def _limit(self, path: str) -> int:
        for prefix, limit in self.body_limits.items():
            if path.startswith(prefix):
                return limit
        return self.max_body_bytes

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        host = _header(scope, b"host")
        if host is None or _host_name(host.lower()) not in self.allowed_hosts:
            return 400, "this service does not answer to that host name (set auth.allowed_hosts)"
        if scope["method"] in SAFE_METHODS:
            return None
        # Host and port only: behind a TLS proxy the scheme the app sees is not the browser's.
        origin = _header(scope, b"origin")
        if origin is not None:
            if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
                return 403, "a request from another site cannot change anything here"
        else:
            referer = _header(scope, b"referer")
            if referer is not None and urlsplit(referer).netloc.lower() != host.lower():
                return 403, "a request from another site cannot change anything here"
        return _content_type_refusal(scope)


def _content_type_refusal(scope: Scope) -> tuple[int, str] | None:
    """JSON (NDJSON, Parquet) under /api/, a form on the pages; a body with no type is refused, since a
    browser sends one cross-site without asking."""
    raw = _header(scope, b"content-type")
    media = raw.split(";")[0].strip().lower() if raw else None
    length = _header(scope, b"content-length")
    has_body = (length is not None and length != "0") or _header(scope, b"transfer-encoding") is not None
    expected = API_TYPES if scope["path"].startswith("/api/") else FORM_TYPES
    if media is None:
        return (415, f"send the body as {' or '.join(sorted(expected))}") if has_body else None
    if media not in expected:
        return 415, f"{media} is not accepted here; send {' or '.join(sorted(expected))}"
    return None


class BodyTooLarge(Exception):
    pass


def _bounded(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def bounded() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(f"the body is larger than the limit of {limit} bytes")
        return message

    return bounded


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {k.lower() for k, _ in headers}
            headers += [(k, v) for k, v in HEADERS if k not in names]
            if b"content-security-policy" not in names:
                headers.append((b"content-security-policy", CSP.encode()))
            message["headers"] = headers
        await send(message)

    return sending


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS]
    headers.append((b"content-security-policy", CSP.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
