"""Static files from installed packages (plotly.js, Swagger UI, ReDoc), the favicon, and the API docs
pages, which must work with no network at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
import httpx
import plotly
import pytest

from monitor.reports.render import environment
from tests.conftest import AUTH_HEADERS
from tests.servers import LiveServer

REPO = Path(__file__).resolve().parents[2]
PLOTLY_FILE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
OFFLINE_ASSETS = Path(fastapi_offline.__file__).parent / "static"


@pytest.fixture
def client(bare_server: LiveServer) -> Iterator[httpx.Client]:
    with bare_server.client() as http:
        yield http


def test_plotly_js_is_the_installed_packages_file_with_a_long_cache(client: httpx.Client) -> None:
    response = client.get("/static/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "public, max-age=31536000"
    assert response.content == PLOTLY_FILE.read_bytes()


def test_pages_link_plotly_with_its_version_so_an_upgrade_is_fetched_again(client: httpx.Client) -> None:
    src = environment().globals["plotly_src"]
    assert src == f"/static/plotly.min.js?v={plotly.__version__}"
    assert client.get(src).content == PLOTLY_FILE.read_bytes()


def test_favicon_is_an_icon_linked_from_every_page(client: httpx.Client) -> None:
    icon = client.get("/favicon.ico")
    svg = client.get("/static/favicon.svg")
    page = client.get("/").text
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/vnd.microsoft.icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO header: reserved 0, type 1 (icon)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg")
    assert '<link rel="icon" href="/favicon.ico"' in page
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page


def test_the_charts_script_is_served_from_the_reports_folder(client: httpx.Client) -> None:
    response = client.get("/static/charts.js")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    assert response.content == (REPO / "reports" / "static" / "charts.js").read_bytes()


def test_only_the_listed_static_files_are_served(client: httpx.Client) -> None:
    assert client.get("/static/nothing.js").status_code == 404
    assert client.get("/static/docs/..%2F..%2Fpyproject.toml").status_code == 404
    assert client.get("/static/%2E%2E/%2E%2E/pyproject.toml").status_code == 404


def test_the_self_contained_drift_report_links_no_favicon() -> None:
    base = environment().get_template("drift_report.html")
    assert "favicon" not in "".join(base.blocks["icons"](base.new_context({})))


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", ["/static/docs/swagger-ui-bundle.js", "/static/docs/swagger-ui.css"]),
        ("/redoc", ["/static/docs/redoc.standalone.js"]),
    ],
)
def test_api_docs_load_their_assets_from_the_installed_package(
    client: httpx.Client, page: str, assets: list[str]
) -> None:
    html = client.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html.text)
    assert all(url.startswith("/") for url in urls), urls  # nothing from another host
    assert "/openapi.json" in html.text
    for asset in assets:
        assert asset in urls
        served = client.get(asset)
        shipped = (OFFLINE_ASSETS / asset.rsplit("/", 1)[1]).read_bytes()
        assert served.status_code == 200
        # ReDoc less the Redocly logo it would fetch from its CDN; Swagger UI as it is.
        assert served.content == shipped.replace(b"https://cdn.redoc.ly/redoc/logo-mini.svg", b"")
        assert b"cdn.redoc.ly" not in served.content


@contextmanager
def offline_tab(browser: Any, server: LiveServer) -> Iterator[tuple[Any, list[str]]]:
    """A tab that reaches the live server only: every other request is aborted and recorded."""
    context = browser.new_context(extra_http_headers=AUTH_HEADERS, base_url=server.url)
    outside: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    try:
        yield context.new_page(), outside
    finally:
        context.close()


@pytest.mark.browser
def test_the_headers_api_link_opens_swagger_ui_rendering_the_schema_offline(
    browser: Any, bare_server: LiveServer
) -> None:
    with offline_tab(browser, bare_server) as (tab, outside):
        tab.goto("/")
        tab.click("header.top a:text-is('API')")
        tab.wait_for_url("**/docs")
        path = tab.locator("#swagger-ui .opblock-summary-path[data-path='/api/v1/monitors/{name}/runs']")
        path.first.wait_for(timeout=20_000)
        assert "Unable to render this definition" not in tab.content()
        assert tab.locator("#swagger-ui .opblock").count() >= 5
    assert outside == []


@pytest.mark.browser
def test_redoc_renders_the_schema_offline(browser: Any, bare_server: LiveServer) -> None:
    with offline_tab(browser, bare_server) as (tab, outside):
        tab.goto("/redoc")
        operations = tab.locator("[data-section-id^='tag/']")
        operations.first.wait_for(timeout=20_000)
        assert operations.count() >= 2
        assert "Model monitor" in tab.locator("h1").first.inner_text()
    assert outside == []
