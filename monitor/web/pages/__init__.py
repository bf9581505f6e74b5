"""HTML pages, rendered from stored rows (never computed inside a request): routes only."""

from fastapi import APIRouter

from monitor.web.pages import alerts, runs

router = APIRouter(include_in_schema=False)
router.include_router(runs.router)
router.include_router(alerts.router)
