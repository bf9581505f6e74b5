"""HTML pages, rendered from stored rows (never computed inside a request): routes only. Every page
but the login page needs a key's session (any scope that reads); without one, the login page."""

from fastapi import APIRouter, Depends

from monitor.web.auth import require
from monitor.web.pages import admin, alerts, login, reports, runs

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(admin.router)
router.include_router(runs.router, dependencies=[Depends(require("read"))])
router.include_router(alerts.router, dependencies=[Depends(require("read"))])
router.include_router(reports.router, dependencies=[Depends(require("read"))])
