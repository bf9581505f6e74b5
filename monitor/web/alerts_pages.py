"""HTML pages of alerting, rendered from stored rows: the alerts overview and one alert's history."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from monitor import alert_service
from monitor.render import render
from monitor.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


def models(runtime: RuntimeDep) -> dict[str, str]:
    return {name: m.model for name, m in runtime.config.monitors.items()}


def alerts_overview(runtime: RuntimeDep) -> str:
    context = alert_service.alerts_page_context(
        runtime.sessions, now=datetime.now(UTC), models=models(runtime)
    )
    return render("alerts.html", **context)


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: int, runtime: RuntimeDep) -> str:
    try:
        alert = alert_service.alert_detail(
            runtime.sessions, alert_id, now=datetime.now(UTC), models=models(runtime)
        )
    except alert_service.NotFound as exc:
        raise HTTPException(404, str(exc).strip("'\"")) from None
    return render("alert.html", alert=alert)
