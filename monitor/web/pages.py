"""HTML pages, rendered from stored rows (never computed inside a request)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse

from monitor import service
from monitor.render import render
from monitor.store import repository
from monitor.web.alerts_pages import alerts_overview
from monitor.web.deps import RuntimeDep, SessionDep
from monitor.web.schemas import AlertOut, RunDetailOut, RunOut

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(runtime: RuntimeDep) -> str:
    return render("dashboard.html", monitors=service.monitors_overview(runtime))


@router.get("/monitors/{name}", response_class=HTMLResponse)
def monitor_page(
    name: str, runtime: RuntimeDep, session: SessionDep, limit: int = Query(200, ge=1, le=2000)
) -> str:
    if name not in runtime.config.monitors:
        raise HTTPException(404, f"no monitor named {name!r}")
    _, total = repository.list_runs(session=session, monitor=name, limit=1)
    rows, _ = repository.list_runs(session=session, monitor=name, limit=limit, offset=max(0, total - limit))
    runs = [RunOut.from_row(r, name) for r in reversed(rows)]  # newest first on the page
    alerts = [AlertOut.from_row(a, m) for a, m in repository.alerts(session=session, monitor=name)]
    metric_names = sorted({m.metric for r in runs for m in r.metrics})
    return render(
        "monitor.html",
        name=name,
        spec=runtime.config.monitors[name],
        runs=runs,
        total=total,
        alerts=alerts,
        metric_names=metric_names,
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: int, session: SessionDep) -> str:
    found = repository.get_run(session=session, run_id=run_id)
    if found is None:
        raise HTTPException(404, f"no run {run_id}")
    return render("run.html", run=RunDetailOut.from_detail(*found))


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(runtime: RuntimeDep) -> str:
    return alerts_overview(runtime)
