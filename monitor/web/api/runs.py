"""JSON API of monitors, runs and alerts."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from monitor.services import monitors
from monitor.services import runs as run_service
from monitor.services.types import AlertOut, MonitorList, RunDetailOut, RunPage, TriggerIn, TriggerOut
from monitor.web.deps import OffsetQuery, RowIdPath, RuntimeDep

router = APIRouter(tags=["api"])


@router.get("/monitors", response_model=MonitorList)
def list_monitors(runtime: RuntimeDep) -> MonitorList:
    return MonitorList(items=monitors.monitors_overview(runtime))


@router.get("/monitors/{name}/runs", response_model=RunPage)
def list_runs(
    name: str,
    runtime: RuntimeDep,
    limit: int = Query(100, ge=1, le=1000),
    offset: OffsetQuery = 0,
    status: Literal["running", "succeeded", "failed"] | None = None,
) -> RunPage:
    try:
        return monitors.runs_page(runtime, name, limit=limit, offset=offset, status=status)
    except monitors.UnknownMonitor as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/monitors/{name}/runs", response_model=TriggerOut, status_code=200)
async def trigger_run(name: str, runtime: RuntimeDep, body: TriggerIn | None = None) -> TriggerOut:
    if name not in runtime.config.monitors:
        raise HTTPException(404, f"no monitor named {name!r}")
    window_end = body.window_end if body else None
    # The run reads files and computes; keep it off the event loop.
    try:
        return await run_in_threadpool(
            run_service.trigger_run, runtime, name, window_end=window_end, now=runtime.clock()
        )
    except run_service.WindowNotClosed as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/runs/{run_id}", response_model=RunDetailOut)
def get_run(run_id: RowIdPath, runtime: RuntimeDep) -> RunDetailOut:
    found = monitors.run_detail(runtime, run_id)
    if found is None:
        raise HTTPException(404, f"no run {run_id}")
    return found


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    runtime: RuntimeDep,
    monitor: str | None = Query(None, max_length=200),
    active: bool = False,
    limit: int = Query(500, ge=1, le=1000),
    offset: OffsetQuery = 0,
) -> list[AlertOut]:
    """Alerts, the most recently changed first, a page at a time."""
    return monitors.list_alerts(runtime, monitor=monitor, active=active, limit=limit, offset=offset)
