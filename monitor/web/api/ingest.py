"""Predictions and labels pushed by serving apps: all rows of a batch stored, or none."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from monitor.services import ingest as ingest_service
from monitor.services.types import IngestOut
from monitor.web.deps import RuntimeDep

router = APIRouter(tags=["api"])

_ROWS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": 'Rows as a JSON list (or {"rows": [...]}), as NDJSON (one object per line) or '
        "as one Parquet file (the same columns).",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_INGEST_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No monitor reads this model from HTTP"},
    413: {"description": "The body or the batch is larger than the configured limit"},
    415: {"description": "Neither JSON, NDJSON nor Parquet"},
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


async def _ingest(
    request: Request, runtime: RuntimeDep, model: str, stream: ingest_service.Stream
) -> IngestOut:
    body = await _body_within(request, runtime.config.ingest.max_body_bytes)
    content_type = request.headers.get("content-type", "")
    try:
        return await run_in_threadpool(
            lambda: ingest_service.ingest(
                runtime, model=model, stream=stream, body=body, content_type=content_type
            )
        )
    except ingest_service.UnknownModel as exc:
        raise HTTPException(404, str(exc)) from None
    except ingest_service.UnsupportedMediaType as exc:
        raise HTTPException(415, str(exc)) from None
    except ingest_service.BatchTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except ingest_service.BatchRejected as exc:
        raise HTTPException(422, exc.to_dict()) from None


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
