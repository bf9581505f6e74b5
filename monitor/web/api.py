"""JSON API, version 1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from monitor import service
from monitor.sources.ingest import BatchTooLarge, Stream, UnknownModel, ingest_batch
from monitor.sources.ingest_rows import BatchRejected, UnsupportedMediaType
from monitor.store import repository
from monitor.web.deps import RuntimeDep, SessionDep
from monitor.web.schemas import (
    AlertOut,
    IngestOut,
    MonitorList,
    RunDetailOut,
    RunOut,
    RunPage,
    TriggerIn,
    TriggerOut,
)

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
    try:
        return await run_in_threadpool(
            service.trigger_run, runtime, name, window_end=window_end, now=datetime.now(UTC)
        )
    except service.WindowNotClosed as exc:
        raise HTTPException(422, str(exc)) from None


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


_ROWS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": 'Rows as a JSON list (or {"rows": [...]}) or as NDJSON, one object per line.',
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}
_INGEST_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No monitor reads this model from HTTP"},
    413: {"description": "The body or the batch is larger than the configured limit"},
    415: {"description": "Neither JSON nor NDJSON"},
    422: {"description": "The batch was rejected whole; `detail.errors` names each row and field"},
}


async def _body_within(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it passes `limit` bytes rather than after reading it all."""
    declared = request.headers.get("content-length", "")
    too_large = f"the body is larger than the limit of {limit} bytes; send smaller batches"
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, too_large)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, too_large)
        chunks.append(chunk)
    return b"".join(chunks)


async def _ingest(request: Request, runtime: RuntimeDep, model: str, stream: Stream) -> IngestOut:
    body = await _body_within(request, runtime.config.ingest.max_body_bytes)
    try:
        result = await run_in_threadpool(
            lambda: ingest_batch(
                runtime.config,
                runtime.sessions,
                model=model,
                stream=stream,
                body=body,
                content_type=request.headers.get("content-type", ""),
                now=datetime.now(UTC),
            )
        )
    except UnknownModel as exc:
        raise HTTPException(404, str(exc)) from None
    except UnsupportedMediaType as exc:
        raise HTTPException(415, str(exc)) from None
    except BatchTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except BatchRejected as exc:
        raise HTTPException(422, exc.to_dict()) from None
    return IngestOut(rows=result.rows, accepted=result.accepted, duplicates=result.duplicates)


@router.post(
    "/models/{model}/predictions",
    response_model=IngestOut,
    responses=_INGEST_ERRORS,
    openapi_extra=_ROWS_BODY,
    summary="Push a batch of predictions (all rows stored or none)",
)
async def push_predictions(model: str, request: Request, runtime: RuntimeDep) -> IngestOut:
    return await _ingest(request, runtime, model, "predictions")


@router.post(
    "/models/{model}/ground-truth",
    response_model=IngestOut,
    responses=_INGEST_ERRORS,
    openapi_extra=_ROWS_BODY,
    summary="Push a batch of labels, joined to predictions by id (all rows stored or none)",
)
async def push_ground_truth(model: str, request: Request, runtime: RuntimeDep) -> IngestOut:
    return await _ingest(request, runtime, model, "ground_truth")
