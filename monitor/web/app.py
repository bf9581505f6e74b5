"""FastAPI application factory: JSON API, HTML pages, health and metrics, static files and API docs,
error pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import Depends, FastAPI, HTTPException

from monitor import __version__
from monitor.pipeline.runtime import Runtime
from monitor.services.health import database_error
from monitor.web import api, pages
from monitor.web.access import install_access_control
from monitor.web.auth import require
from monitor.web.errors import install_error_handlers
from monitor.web.metrics import metrics_router
from monitor.web.static import static_router


class Background(Protocol):
    """Work started with the app and stopped with it (the scheduler, in `monitor serve`)."""

    def start(self) -> None: ...

    def shutdown(self, wait: bool = True) -> None: ...


def create_app(runtime: Runtime, *, background: Background | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if background is not None:
            background.start()
        try:
            yield
        finally:
            if background is not None:
                background.shutdown(wait=False)

    # /docs and /redoc come from static_router, with their assets from installed packages.
    app = FastAPI(
        title="Model monitor", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    install_access_control(app, runtime)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz() -> dict[str, str]:
        error = database_error(runtime)
        if error is not None:
            raise HTTPException(503, f"database unreachable: {error}")
        return {"status": "ready"}

    app.include_router(api.router)
    app.include_router(metrics_router(runtime), dependencies=[Depends(require("read"))])
    app.include_router(pages.router)
    app.include_router(static_router(openapi_url=app.openapi_url or "/openapi.json", title=app.title))
    return app
