"""HTML pages of alerting, rendered from stored rows: the alerts overview and one alert's history; and
the dead letters' resend button (a plain same-origin form POST)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from monitor.reports.render import render
from monitor.services import alerts as alert_service
from monitor.services import alerts_page as page_service
from monitor.web.auth import audited, require
from monitor.web.deps import MAX_ROW_ID, RowIdPath, RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    runtime: RuntimeDep,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ROW_ID, description="delivery log: notifications older than this id")
    ] = None,
    resent: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> str:
    page = page_service.alerts_page(
        runtime.sessions, now=runtime.clock(), models=runtime.models(), before=before
    )
    return render("alerts.html", page=page, resent=resent)


# Resending changes state: an operator's key (as the API's resend), recorded in the audit log.
@router.post(
    "/alerts/notifications/{outbox_id}/resend",
    dependencies=[Depends(require("operate")), Depends(audited, scope="function")],
)
def resend_dead_letter(outbox_id: RowIdPath, runtime: RuntimeDep) -> RedirectResponse:
    """Queues a dead letter again (as POST /api/v1/dead-letters/{id}/resend does), then back to the page."""
    max_age = runtime.config.alerting.delivery_max_age
    try:
        alert_service.resend(runtime.sessions, outbox_id, now=runtime.clock(), max_age=max_age)
    except alert_service.NotFound as exc:
        raise HTTPException(404, str(exc).strip("'\"")) from None
    except alert_service.AlertInputError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/alerts?resent={outbox_id}#dead-letters", status_code=303)


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: RowIdPath, runtime: RuntimeDep) -> str:
    try:
        alert = alert_service.alert_detail(
            runtime.sessions, alert_id, now=runtime.clock(), models=runtime.models()
        )
    except alert_service.NotFound as exc:
        raise HTTPException(404, str(exc).strip("'\"")) from None
    return render("alert.html", alert=alert)
