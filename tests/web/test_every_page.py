"""Every page of the served demo in real headless Chromium: no console error, no uncaught exception,
no failed request, no error response (but the error page's own), nothing from another host; a
full-page screenshot of each in test-artifacts/screenshots/ (or $MONITOR_TEST_ARTIFACTS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from monitor.config import load_config
from monitor.pipeline.runtime import build_runtime
from monitor.web.app import create_app
from tests.conftest import AUTH_HEADERS
from tests.demo_build import NOW, demo_copy
from tests.servers import serving
from tests.web.watch import ACTION_TIMEOUT_MS, REPO, PageWatch, screenshot_dir

pytestmark = pytest.mark.browser

MONITOR = "credit-default"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo of `make run` (60 daily windows, drift from day 40, alerts firing), served on 127.0.0.1."""
    root, _ = demo_copy(tmp_path_factory)
    config = load_config(root / "config" / "demo.yaml", env={})
    # The service's clock stands at the demo's now: the canary's rows are within the verdict's lookback.
    runtime = build_runtime(config, now=NOW, clock=lambda: NOW)
    try:
        with serving(create_app(runtime)) as server:
            yield server.url
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def paths(demo_server: str) -> dict[str, str]:
    """Every page, by the name of its screenshot."""
    with httpx.Client(base_url=demo_server, timeout=30, headers=AUTH_HEADERS) as http:
        runs = http.get(f"/api/v1/monitors/{MONITOR}/runs", params={"limit": 1000}).json()["items"]
        alerts = http.get("/api/v1/alerts").json()
    drifted = next(r for r in runs if r["dataset_drifted"])
    return {
        "dashboard": "/",
        "monitor": f"/monitors/{MONITOR}",
        "monitor-older": f"/monitors/{MONITOR}?{urlencode({'limit': 20, 'before': runs[20]['window_end']})}",
        "run": f"/runs/{drifted['id']}",
        "compare": f"/monitors/{MONITOR}/compare?{urlencode({'candidate': 'v4', 'baseline': 'v3'})}",
        "alerts": "/alerts",
        "alert": f"/alerts/{alerts[0]['id']}",
        "docs": "/docs",
        "redoc": "/redoc",
        "error-404": "/monitors/nope",
    }


# What shows that a page finished drawing, where scripts draw it.
RENDERED = {
    "run": "#distributions .js-plotly-plot",
    "alerts": "#alert-timeline .js-plotly-plot",
    "docs": "#swagger-ui .opblock",
    "redoc": "[data-section-id^='tag/']",
    "error-404": "#error",
    "compare": "#verdict",
}
EXPECTED_STATUS = {"error-404": 404}


@pytest.fixture
def tab(browser: Any, demo_server: str) -> Iterator[tuple[Any, PageWatch]]:
    context = browser.new_context(
        extra_http_headers=AUTH_HEADERS, base_url=demo_server, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(demo_server)
    watch.attach(context, page)
    yield page, watch
    context.close()


@pytest.mark.parametrize(
    "name",
    [
        "dashboard",
        "monitor",
        "monitor-older",
        "run",
        "compare",
        "alerts",
        "alert",
        "docs",
        "redoc",
        "error-404",
    ],
)
def test_every_page_loads_cleanly_and_offline(
    tab: tuple[Any, PageWatch], paths: dict[str, str], demo_server: str, name: str
) -> None:
    page, watch = tab
    response = page.goto(paths[name], wait_until="load")
    assert response is not None and response.status == EXPECTED_STATUS.get(name, 200)
    page.locator(RENDERED.get(name, "main")).first.wait_for()
    page.wait_for_load_state("networkidle")
    shot = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    status = EXPECTED_STATUS.get(name)
    expected = None if status is None else (status, demo_server + paths[name])
    assert watch.problems(expected_error=expected) == []
    assert watch.requests[0] == demo_server + paths[name]  # the page itself was recorded
    assert shot.stat().st_size > 10_000  # a picture of the page, not an empty frame


def test_the_error_page_leads_back_to_the_dashboard(tab: tuple[Any, PageWatch], demo_server: str) -> None:
    page, watch = tab
    page.goto("/runs/99999999")
    # The favicon loads after the page; clicking before it arrives aborts it, which the watch counts.
    page.wait_for_load_state("networkidle")
    page.click("#back")
    page.wait_for_url("**/")
    assert page.locator(f"#monitors tr[data-monitor='{MONITOR}']").count() == 1
    assert watch.problems(expected_error=(404, f"{demo_server}/runs/99999999")) == []


def test_screenshots_go_where_the_environment_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_TEST_ARTIFACTS", str(tmp_path / "elsewhere"))
    assert screenshot_dir() == tmp_path / "elsewhere" / "screenshots"
    assert screenshot_dir().is_dir()
    monkeypatch.delenv("MONITOR_TEST_ARTIFACTS")
    assert screenshot_dir() == REPO / "test-artifacts" / "screenshots"
