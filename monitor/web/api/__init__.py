"""The JSON API, version 1: routes only; each calls a service function."""

from fastapi import APIRouter

from monitor.web.api import alerts, ingest, runs

router = APIRouter(prefix="/api/v1")
router.include_router(runs.router)
router.include_router(alerts.router)
router.include_router(ingest.router)
