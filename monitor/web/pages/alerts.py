"""HTML pages of alerting, rendered from stored rows: the alerts overview and one alert's history."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from monitor.reports.render import render
from monitor.services import alerts as alert_service
from monitor.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(runtime: RuntimeDep) -> str:
    context = alert_service.alerts_page_context(
        runtime.sessions, now=runtime.clock(), models=runtime.models()
    )
    return render("alerts.html", **context)


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: int, runtime: RuntimeDep) -> str:
    try:
        alert = alert_service.alert_detail(
            runtime.sessions, alert_id, now=runtime.clock(), models=runtime.models()
        )
    except alert_service.NotFound as exc:
        raise HTTPException(404, str(exc).strip("'\"")) from None
    return render("alert.html", alert=alert)
