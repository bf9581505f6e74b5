"""Rows pushed over HTTP: one batch checked and stored whole, or rejected whole with row errors."""

from __future__ import annotations

from monitor.pipeline.runtime import Runtime
from monitor.services.types import IngestOut
from monitor.sources.ingest import BatchTooLarge, Stream, UnknownModel, ingest_batch
from monitor.sources.ingest_rows import BatchRejected, UnsupportedMediaType

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
