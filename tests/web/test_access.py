"""Access control over real HTTP: every route refused without a key, with a wrong, expired or revoked
key and with too small a scope; keys stored only as hashes; sessions; CSRF, Host and content types."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute

from monitor.pipeline.runtime import Runtime
from monitor.services import access
from monitor.store.access_tables import ApiKeyRow, AuditEventRow
from monitor.web.app import create_app
from tests.conftest import ADMIN_TOKEN
from tests.servers import LiveServer, serving

# One example of every route's path parameters, so each route can be asked.
PARAMS = {
    "name": "m",
    "run_id": "1",
    "alert_id": "1",
    "silence_id": "1",
    "outbox_id": "1",
    "channel": "log",
    "model": "toy",
    "monitor": "m",  # a daily report: /reports/{monitor}/{filename}
    "filename": "2026-06-01.html",
    "stream": "predictions",  # pushed rows: /api/v1/models/{model}/{stream}/rows
}
OPEN = {
    "/healthz",
    "/readyz",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/login",
    "/logout",
    "/favicon.ico",
    "/static/{name:path}",
}


@pytest.fixture
def served(backfilled: Runtime) -> Iterator[tuple[Runtime, LiveServer]]:
    with serving(create_app(backfilled)) as server:
        yield backfilled, server


def key(
    runtime: Runtime, scope: str, *, models: list[str] | None = None, expires: timedelta | None = None
) -> str:
    token, _ = access.create_key(
        runtime,
        name=f"{scope}-{len(access.list_keys(runtime))}",
        scope=scope,
        models=models or [],
        expires_in=expires,
        actor="test",
    )
    return token


def every_route(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) of every route of the app, through the routers it includes."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # FastAPI's included router
            yield from every_route(route.original_router.routes, prefix + route.include_context.prefix)


def guarded_routes(runtime: Runtime) -> list[tuple[str, str]]:
    found = []
    for path, route in every_route(create_app(runtime).routes):
        if path not in OPEN:
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, path.format(**{k: PARAMS[k] for k in route.param_convertors})))
    return found


def ask(server: LiveServer, method: str, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = (
        {"json": {}} if method in ("POST", "PUT", "PATCH") and path.startswith("/api/") else {}
    )
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as http:
        return http.request(method, path, headers=headers, **body)


def test_every_route_refuses_a_request_without_a_valid_key(served: tuple[Runtime, LiveServer]) -> None:
    runtime, server = served
    routes = guarded_routes(runtime)
    assert len(routes) >= 20  # the API, the pages and /metrics
    expired = key(runtime, "admin", expires=timedelta(seconds=-1))
    revoked = key(runtime, "admin")
    access.revoke_key(runtime, access.list_keys(runtime)[-1].name, actor="test")
    for method, path in routes:
        for token in (None, "mm_wrong", expired, revoked):
            response = ask(server, method, path, token)
            if path.startswith(("/api/", "/metrics")) or method != "GET":
                assert response.status_code == 401, (method, path, token, response.text)
            else:  # a page: to the login page
                assert response.status_code == 303 and response.headers["location"].startswith(
                    "/login?next="
                ), path


def test_each_scope_reaches_only_what_it_grants(served: tuple[Runtime, LiveServer]) -> None:
    runtime, server = served
    read, ingest, operate = (
        key(runtime, "read"),
        key(runtime, "ingest", models=["other-model"]),
        key(runtime, "operate"),
    )
    assert ask(server, "GET", "/api/v1/monitors", read).status_code == 200
    assert ask(server, "GET", "/", read).status_code == 200
    assert ask(server, "POST", "/api/v1/monitors/m/runs", read).status_code == 403
    assert ask(server, "POST", "/api/v1/silences", read).status_code == 403
    assert ask(server, "GET", "/api/v1/monitors", ingest).status_code == 403  # a pipeline's key reads nothing
    assert ask(server, "POST", "/api/v1/models/toy/predictions", ingest).status_code == 403  # another model's
    assert ask(server, "POST", "/api/v1/models/toy/predictions", read).status_code == 403
    assert ask(server, "GET", "/api/v1/keys", operate).status_code == 403
    assert ask(server, "GET", "/api/v1/audit", operate).status_code == 403
    assert ask(server, "POST", "/api/v1/dead-letters/999/resend", operate).status_code == 404  # allowed, none
    assert (
        ask(server, "POST", "/alerts/notifications/999/resend", read).status_code == 403
    )  # the page's button
    assert ask(server, "POST", "/alerts/notifications/999/resend", operate).status_code == 404


def test_keys_are_stored_only_as_hashes_and_last_use_is_recorded(served: tuple[Runtime, LiveServer]) -> None:
    runtime, server = served
    with httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as http:
        created = http.post("/api/v1/keys", json={"name": "ci", "scope": "read", "expires": "90d"})
        assert created.status_code == 201
        token = created.json()["token"]
        assert http.get("/api/v1/monitors", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        listed = {k["name"]: k for k in http.get("/api/v1/keys").json()}
    assert token not in created.json()["key"].values() and listed["ci"]["last_used_at"] is not None
    with runtime.engine.connect() as connection:
        dumped = " ".join(str(v) for row in connection.execute(sa.select(ApiKeyRow.__table__)) for v in row)
    assert token not in dumped and ADMIN_TOKEN not in dumped
    assert hashlib.sha256(token.encode()).hexdigest() in dumped


def test_a_browser_session_logs_in_with_a_key_and_ends_on_logout_or_revocation(
    served: tuple[Runtime, LiveServer],
) -> None:
    runtime, server = served
    token = key(runtime, "read")
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as http:
        wrong = http.post("/login", data={"key": "mm_nope", "next": "/alerts"})
        assert wrong.status_code == 401 and "not valid" in wrong.text
        ok = http.post("/login", data={"key": token, "next": "//evil.example/x"})
        assert ok.status_code == 303 and ok.headers["location"] == "/"  # never to another host
        cookie = ok.headers["set-cookie"].lower()
        assert (
            "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        )  # plain http here
        assert http.get("/alerts").status_code == 200
        http.post("/logout")
        assert http.get("/alerts").status_code == 303
        http.post("/login", data={"key": token})
        assert http.get("/alerts").status_code == 200
        access.revoke_key(runtime, access.list_keys(runtime)[-1].name, actor="test")
        assert http.get("/alerts").status_code == 303


def test_requests_from_other_sites_and_undeclared_bodies_change_nothing(
    served: tuple[Runtime, LiveServer],
) -> None:
    _, server = served
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=server.url, timeout=30, headers=admin) as http:
        foreign = http.post("/api/v1/silences/1/expire", headers={"Origin": "http://evil.example"})
        referred = http.post("/api/v1/silences/1/expire", headers={"Referer": "http://evil.example/page"})
        opaque = http.post("/api/v1/silences/1/expire", headers={"Origin": "null"})
        form = http.post(
            "/api/v1/silences",
            content=b"matchers=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        untyped = http.post(
            "/api/v1/models/toy/predictions",
            content=b'[{"prediction_id": "a"}]',
            headers={"Content-Type": ""},
        )
        rebinding = http.get("/api/v1/monitors", headers={"Host": "attacker.example"})
        huge = http.post(
            "/api/v1/silences",
            content=b"{" + b" " * 100_000 + b"}",
            headers={"Content-Type": "application/json"},
        )
    assert (foreign.status_code, referred.status_code, opaque.status_code) == (403, 403, 403)
    assert (form.status_code, untyped.status_code) == (415, 415)
    assert rebinding.status_code == 400 and huge.status_code == 413


def test_answers_carry_the_security_headers(served: tuple[Runtime, LiveServer]) -> None:
    _, server = served
    response = ask(server, "GET", "/", ADMIN_TOKEN)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    policy = response.headers["content-security-policy"]
    assert (
        "script-src 'self';" in policy
        and "frame-ancestors 'none'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )


def test_changes_are_audited_with_the_key_that_made_them(served: tuple[Runtime, LiveServer]) -> None:
    runtime, server = served
    operator = key(runtime, "operate")
    body = {"matchers": ["rule=drift"], "author": "ana", "comment": "known", "duration": "1h"}
    with httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {operator}"}
    ) as http:
        assert http.post("/api/v1/silences", json=body).status_code == 201
        assert http.post("/api/v1/silences", json={}).status_code == 422  # refused: not audited
    with runtime.sessions() as session:
        entries = session.execute(sa.select(AuditEventRow.actor, AuditEventRow.action)).all()
    (made,) = [
        actor for actor, action in entries if action == "POST /api/v1/silences"
    ]  # once: the refusal is not
    assert made == access.list_keys(runtime)[-1].name and made.startswith("operate-")
    assert ("test", "key.create") in entries


def test_the_admin_page_lists_keys_and_the_audit_log_for_admins_only(
    served: tuple[Runtime, LiveServer],
) -> None:
    runtime, server = served
    reader = key(runtime, "read")
    assert ask(server, "GET", "/admin", reader).status_code == 403
    page = ask(server, "GET", "/admin", ADMIN_TOKEN)
    assert page.status_code == 200
    assert 'data-key="test-admin"' in page.text and 'data-key="read-1"' in page.text
    assert "key.create" in page.text  # the read key's creation, in the audit log


def test_notifier_tests_are_rate_limited_per_channel(served: tuple[Runtime, LiveServer]) -> None:
    _, server = served
    with httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as http:
        answers = [http.post("/api/v1/notifiers/log/test").status_code for _ in range(7)]
    assert answers == [200] * 5 + [429, 429]


def test_a_silence_records_the_key_that_created_it(served: tuple[Runtime, LiveServer]) -> None:
    runtime, server = served
    operator = key(runtime, "operate")
    body = {"matchers": ["rule=drift"], "author": "typed name", "comment": "why", "duration": "1h"}
    with httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {operator}"}
    ) as http:
        made = http.post("/api/v1/silences", json=body).json()
        listed = http.get("/api/v1/silences", params={"limit": 1}).json()["items"]
    assert made["author"] == "typed name" and made["created_by"] == access.list_keys(runtime)[-1].name
    assert [s["id"] for s in listed] == [made["id"]]
