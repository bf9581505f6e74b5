"""Admin API of pushed rows: look at rows by id and delete them, so that no single row can keep a
window failing for good."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from monitor.services import ingest as ingest_service
from monitor.web.auth import Admin
from monitor.web.deps import RuntimeDep

router = APIRouter(tags=["admin"])
StreamName = Literal["predictions", "ground-truth"]
IDS = Query(min_length=1, max_length=500, description="prediction ids, repeated: ?id=a&id=b")


class StoredRowOut(BaseModel):
    id: str
    time: datetime
    values: Any
    received_at: datetime


class DeletedOut(BaseModel):
    deleted: int


def _stream(name: StreamName) -> ingest_service.Stream:
    return "predictions" if name == "predictions" else "ground_truth"


@router.get("/models/{model}/{stream}/rows", response_model=list[StoredRowOut])
def stored_rows(
    model: str, stream: StreamName, runtime: RuntimeDep, _who: Admin, id: list[str] = IDS
) -> list[StoredRowOut]:
    found = ingest_service.stored_rows(runtime, model=model, stream=_stream(stream), ids=id)
    return [StoredRowOut(id=r.id, time=r.time, values=r.values, received_at=r.received_at) for r in found]


@router.delete("/models/{model}/{stream}/rows", response_model=DeletedOut)
def delete_rows(
    model: str, stream: StreamName, runtime: RuntimeDep, _who: Admin, id: list[str] = IDS
) -> DeletedOut:
    return DeletedOut(
        deleted=ingest_service.delete_rows(runtime, model=model, stream=_stream(stream), ids=id)
    )
