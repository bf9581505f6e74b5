"""Static files from installed packages, never a CDN: plotly.js (plotly), Swagger UI and ReDoc
(fastapi-offline's copies, which render OpenAPI 3.1), the favicon; and the /docs and /redoc pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from monitor.reports.render import FAVICON_URL, PLOTLY_URL
from monitor.resources import plotly_js, static_dir
from monitor.web.guard import csp_allowing_inline

DOCS_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
YEAR = 365 * 24 * 3600
DAY = 24 * 3600


def _docs_asset(name: str) -> Callable[[], Path]:
    return lambda: DOCS_ASSETS / name


REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def redoc_js() -> bytes:
    """ReDoc as fastapi-offline ships it, less the one thing it fetches from another host: the logo
    of its "API docs by Redocly" link (an empty src fails at once, and ReDoc then hides the image)."""
    return (DOCS_ASSETS / "redoc.standalone.js").read_bytes().replace(REDOCLY_LOGO, b"")


# The files served under /static/: name -> (where it is, media type, how long browsers keep it).
# Pages link plotly.js with ?v=<plotly version>, so a year's cache never serves an old copy.
STATIC_FILES: dict[str, tuple[Callable[[], Path], str, int]] = {
    PLOTLY_URL.removeprefix("/static/"): (plotly_js, "text/javascript", YEAR),
    "favicon.svg": (lambda: static_dir() / "favicon.svg", "image/svg+xml", DAY),
    # Draws the pages' charts from their JSON islands (the daily report inlines it instead).
    "charts.js": (lambda: static_dir() / "charts.js", "text/javascript", DAY),
    # Sorts and filters tables marked data-sortable (the run page's columns).
    "tables.js": (lambda: static_dir() / "tables.js", "text/javascript", DAY),
    "docs/swagger-ui-bundle.js": (_docs_asset("swagger-ui-bundle.js"), "text/javascript", DAY),
    "docs/swagger-ui.css": (_docs_asset("swagger-ui.css"), "text/css", DAY),
}
# Files changed on the way out, served from memory: name -> (content, media type, max age).
STATIC_CONTENT: dict[str, tuple[Callable[[], bytes], str, int]] = {
    "docs/redoc.standalone.js": (redoc_js, "text/javascript", DAY),
}


def _with_csp(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = csp_allowing_inline(bytes(page.body).decode())
    return page


def _file(name: str) -> Response:
    if name in STATIC_CONTENT:
        content, media_type, max_age = STATIC_CONTENT[name]
        headers = {"Cache-Control": f"public, max-age={max_age}"}
        return Response(content(), media_type=media_type, headers=headers)
    if name not in STATIC_FILES:
        raise HTTPException(404, f"no static file {name}")
    where, media_type, max_age = STATIC_FILES[name]
    return FileResponse(
        where(), media_type=media_type, headers={"Cache-Control": f"public, max-age={max_age}"}
    )


def static_router(*, openapi_url: str, title: str) -> APIRouter:
    """/static/{name}, /favicon.ico, and the API docs (Swagger UI at /docs, ReDoc at /redoc)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/static/{name:path}")
    def static_file(name: str) -> Response:
        return _file(name)

    @router.get(FAVICON_URL)
    def favicon() -> FileResponse:
        return FileResponse(
            static_dir() / "favicon.ico",
            media_type="image/vnd.microsoft.icon",
            headers={"Cache-Control": f"public, max-age={DAY}"},
        )

    @router.get("/docs")
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_csp(
            get_swagger_ui_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{title} · API",
                swagger_js_url=f"{root}/static/docs/swagger-ui-bundle.js",
                swagger_css_url=f"{root}/static/docs/swagger-ui.css",
                swagger_favicon_url=f"{root}{FAVICON_URL}",
                # No validator badge: it would send the schema's URL to validator.swagger.io.
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @router.get("/redoc")
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_csp(
            get_redoc_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{title} · API reference",
                redoc_js_url=f"{root}/static/docs/redoc.standalone.js",
                redoc_favicon_url=f"{root}{FAVICON_URL}",
                with_google_fonts=False,
            )
        )

    return router
