"""A page of another origin, visited by a logged-in operator in real Chromium, tries what the issue
found: a plain form POST expiring a silence, a no-cors fetch pushing rows as an untyped Blob, and a
notifier test. None has any effect; the same requests from the service's own page do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from monitor.pipeline.runtime import Runtime
from monitor.web.app import create_app
from tests.conftest import ADMIN_TOKEN, AUTH_HEADERS, RuntimeFactory, monitor_config
from tests.servers import LiveServer, serving

pytestmark = pytest.mark.browser

ROW = '[{"prediction_id": "evil-1", "timestamp": "2026-06-01T00:00:00Z", "x": 1, "y": 2, "colour": "red"}]'


def attack_page(target: str, silence_id: int) -> str:
    return f"""<!doctype html><html><body>
<form id="expire" method="post" action="{target}/api/v1/silences/{silence_id}/expire"></form>
<script>
async function attack() {{
  const blob = new Blob(['{ROW}']);
  const options = {{method: 'POST', mode: 'no-cors', credentials: 'include'}};
  await fetch('{target}/api/v1/models/pushed/predictions', {{...options, body: blob}}).catch(() => null);
  await fetch('{target}/api/v1/notifiers/log/test', options).catch(() => null);
  document.title = 'fetched';
  document.getElementById('expire').submit();
}}
attack();
</script></body></html>"""


@pytest.fixture
def monitor(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> Iterator[tuple[Runtime, LiveServer]]:
    config = monitor_config(db_url)
    config["monitors"]["pushed"] = {
        "model": "pushed",
        "source": {"type": "ingest"},
        "reference": {"type": "files", "path": "reference.parquet"},
        "schema": {"features": ["x", "y", "colour"]},
        "metrics": ["accuracy"],
    }
    config["ingest"] = {"max_row_age": "3650d"}
    runtime = make_runtime(config)
    with serving(create_app(runtime)) as server:
        yield runtime, server


def state(server: LiveServer, silence_id: int) -> tuple[str, int, list[str]]:
    with httpx.Client(base_url=server.url, headers=AUTH_HEADERS, timeout=30) as http:
        listed = [s["state"] for s in http.get("/api/v1/silences").json()["items"] if s["id"] == silence_id]
        audit = [e["action"] for e in http.get("/api/v1/audit").json()["items"]]
    rows = sum(1 for a in audit if "/predictions" in a)
    return (listed or ["not active"])[0], rows, audit


def test_a_page_of_another_origin_changes_nothing(browser: Any, monitor: tuple[Runtime, LiveServer]) -> None:
    _, server = monitor
    with httpx.Client(base_url=server.url, headers=AUTH_HEADERS, timeout=30) as http:
        body = {"matchers": ["rule=drift"], "author": "ana", "comment": "known change", "duration": "2h"}
        silence_id = http.post("/api/v1/silences", json=body).json()["id"]
    evil = FastAPI()
    evil.get("/", response_class=HTMLResponse)(lambda: attack_page(server.url, silence_id))
    context = browser.new_context()
    context.set_default_timeout(20_000)
    try:
        tab = context.new_page()
        tab.goto(f"{server.url}/login")
        tab.fill("input[name=key]", ADMIN_TOKEN)
        tab.click("#login-form button")
        tab.wait_for_url(f"{server.url}/")
        with serving(evil) as attacker:
            with tab.expect_navigation():
                tab.goto(attacker.url)
            tab.wait_for_load_state()
        silence_state, pushed, audit = state(server, silence_id)
        assert silence_state == "active" and pushed == 0
        assert not [a for a in audit if "expire" in a or "/test" in a or "/predictions" in a], audit
        # The same requests from the service's own page, with the same cookie, do take effect.
        tab.goto(f"{server.url}/")
        status = tab.evaluate(
            "async () => (await fetch('/api/v1/notifiers/log/test', {method: 'POST'})).status"
        )
        assert status == 200
        assert any(a.endswith("/notifiers/log/test") for a in state(server, silence_id)[2])
    finally:
        context.close()
