"""The JSON API, version 1: routes only; each calls a service function. Every route needs a key:
reading `read`, changing `operate`, pushing rows `ingest` (for its models), keys and audit `admin`."""

from typing import Any

from fastapi import APIRouter, Depends

from monitor.web.api import access, alerts, ingest, runs
from monitor.web.auth import audited, by_method, may_push

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid key"},
    403: {"description": "The key's scope does not allow it"},
}

router = APIRouter(prefix="/api/v1")
router.include_router(runs.router, dependencies=[Depends(by_method), Depends(audited)], responses=_AUTH)
router.include_router(alerts.router, dependencies=[Depends(by_method), Depends(audited)], responses=_AUTH)
router.include_router(ingest.router, dependencies=[Depends(may_push), Depends(audited)], responses=_AUTH)
router.include_router(access.router)
