"""The JSON API, version 1: routes only; each calls a service function. Every route needs a key:
reading `read`, changing `operate`, pushing rows `ingest` (for its models), keys and audit `admin`."""

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from monitor.web.api import access, alerts, canary, ingest, rows, runs
from monitor.web.auth import audited, by_method, may_push


class ErrorOut(BaseModel):
    """Every error answer: `detail` is a message, or for a rejected batch or request an object or
    list naming each problem."""

    detail: Any


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# What any route of the API may answer besides its success, with the body it really sends.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The body is not valid JSON, or is nested too deeply"),
    401: _error("No valid key"),
    403: _error("The key's scope does not allow it, or the request came from another site"),
    404: _error("No such monitor, run, alert, silence, notification or channel"),
    413: _error("The body is larger than the route accepts"),
    415: _error("The body is not of the type the route documents"),
    422: _error("The request is not valid: each wrong part named"),
}

router = APIRouter(prefix="/api/v1", responses=ERRORS)
router.include_router(runs.router, dependencies=[Depends(by_method), Depends(audited, scope="function")])
router.include_router(alerts.router, dependencies=[Depends(by_method), Depends(audited, scope="function")])
router.include_router(canary.router, dependencies=[Depends(by_method), Depends(audited, scope="function")])
router.include_router(ingest.router, dependencies=[Depends(may_push), Depends(audited, scope="function")])
router.include_router(access.router)
router.include_router(rows.router, dependencies=[Depends(audited, scope="function")])
