"""FastAPI application factory: JSON API, HTML pages, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from monitor import __version__
from monitor.runtime import Runtime
from monitor.web import alerts_api, alerts_pages, api, pages
from monitor.web.metrics import metrics_router


def create_app(runtime: Runtime, *, run_scheduler: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if run_scheduler:
            from monitor.scheduler import build_scheduler

            scheduler = build_scheduler(runtime)
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)

    app = FastAPI(title="Model monitor", version=__version__, lifespan=lifespan)
    app.state.runtime = runtime

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz() -> dict[str, str]:
        try:
            with runtime.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise HTTPException(503, f"database unreachable: {type(exc).__name__}") from None
        return {"status": "ready"}

    app.include_router(api.router)
    app.include_router(alerts_api.router)
    app.include_router(metrics_router(runtime))
    app.include_router(pages.router)
    app.include_router(alerts_pages.router)
    return app
