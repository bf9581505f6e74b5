"""Rows pushed over HTTP: one batch checked and stored whole, or rejected whole with row errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.pipeline.runtime import Runtime
from monitor.services.types import IngestOut
from monitor.sources.ingest import BatchTooLarge, Stream, UnknownModel, ingest_batch
from monitor.sources.ingest_rows import BatchRejected, UnsupportedMediaType
from monitor.store import ingest as rows_store
from monitor.store import transaction

__all__ = ["BatchRejected", "BatchTooLarge", "Stream", "UnknownModel", "UnsupportedMediaType", "ingest"]


def ingest(runtime: Runtime, *, model: str, stream: Stream, body: bytes, content_type: str) -> IngestOut:
    """Raises UnknownModel, UnsupportedMediaType, BatchTooLarge or BatchRejected (with row errors)."""
    result = ingest_batch(
        runtime.config,
        runtime.sessions,
        model=model,
        stream=stream,
        body=body,
        content_type=content_type,
        now=runtime.clock(),
    )
    return IngestOut(rows=result.rows, accepted=result.accepted, duplicates=result.duplicates)


@dataclass(frozen=True)
class StoredRow:
    id: str
    time: datetime  # the prediction's time, or when the label became known (UTC)
    values: Any  # a prediction's columns, or the label
    received_at: datetime


def stored_rows(runtime: Runtime, *, model: str, stream: Stream, ids: list[str]) -> list[StoredRow]:
    """Pushed rows of a model by id, as stored: what an admin looks at before deleting one."""
    with runtime.sessions() as session:
        found = rows_store.stored_rows(session=session, model=model, stream=stream, ids=ids)
    return [StoredRow(i, t.replace(tzinfo=UTC) if t.tzinfo is None else t, v, r) for i, t, v, r in found]


def delete_rows(runtime: Runtime, *, model: str, stream: Stream, ids: list[str]) -> int:
    """Deletes pushed rows by id; the windows they were in are recomputed by the next backfill with
    --recompute (or a trigger), and read what is left."""
    with transaction(runtime.sessions) as session:
        return rows_store.delete_rows(session, model=model, stream=stream, ids=ids)
