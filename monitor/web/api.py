"""JSON API, version 1."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from monitor import service
from monitor.store import repository
from monitor.web.deps import RuntimeDep, SessionDep
from monitor.web.schemas import AlertOut, MonitorList, RunDetailOut, RunOut, RunPage, TriggerIn, TriggerOut

router = APIRouter(prefix="/api/v1", tags=["api"])


def _known(runtime: RuntimeDep, name: str) -> None:
    if name not in runtime.config.monitors:
        raise HTTPException(404, f"no monitor named {name!r}")


@router.get("/monitors", response_model=MonitorList)
def list_monitors(runtime: RuntimeDep) -> MonitorList:
    return MonitorList(items=service.monitors_overview(runtime))


@router.get("/monitors/{name}/runs", response_model=RunPage)
def list_runs(
    name: str,
    runtime: RuntimeDep,
    session: SessionDep,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> RunPage:
    _known(runtime, name)
    rows, total = repository.list_runs(session=session, monitor=name, limit=limit, offset=offset)
    return RunPage(items=[RunOut.from_row(r, name) for r in rows], total=total, limit=limit, offset=offset)


@router.post("/monitors/{name}/runs", response_model=TriggerOut, status_code=200)
async def trigger_run(name: str, runtime: RuntimeDep, body: TriggerIn | None = None) -> TriggerOut:
    _known(runtime, name)
    window_end = body.window_end if body else None
    # The run reads files and computes; keep it off the event loop.
    return await run_in_threadpool(
        service.trigger_run, runtime, name, window_end=window_end, now=datetime.now(UTC)
    )


@router.get("/runs/{run_id}", response_model=RunDetailOut)
def get_run(run_id: int, session: SessionDep) -> RunDetailOut:
    found = repository.get_run(session=session, run_id=run_id)
    if found is None:
        raise HTTPException(404, f"no run {run_id}")
    return RunDetailOut.from_detail(*found)


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(session: SessionDep, monitor: str | None = None, active: bool = False) -> list[AlertOut]:
    return [
        AlertOut.from_row(a, m)
        for a, m in repository.alerts(session=session, monitor=monitor, active_only=active)
    ]
