"""HTML pages of monitors and runs."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse

from monitor.reports.render import render
from monitor.services import monitors, status
from monitor.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(runtime: RuntimeDep) -> str:
    return render("dashboard.html", monitors=status.monitor_statuses(runtime))


@router.get("/monitors/{name}", response_class=HTMLResponse)
def monitor_page(name: str, runtime: RuntimeDep, limit: int = Query(200, ge=1, le=2000)) -> str:
    try:
        page = monitors.monitor_page(runtime, name, limit=limit)
    except monitors.UnknownMonitor as exc:
        raise HTTPException(404, str(exc)) from None
    return render(
        "monitor.html",
        name=page.name,
        spec=page.spec,
        runs=page.runs,
        total=page.total,
        alerts=page.alerts,
        metric_names=page.metric_names,
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: int, runtime: RuntimeDep) -> str:
    run = monitors.run_detail(runtime, run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    return render("run.html", run=run)
