"""Logging set-up of the `monitor` command: text for people, or one JSON object per line for log
pipelines, carrying the monitor, window and run a line is about when the code names them."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from monitor.errors import mask_url_secrets

# Fields the service attaches with `extra=` (monitor.pipeline, monitor.services.scheduling).
CONTEXT_FIELDS = ("monitor", "window", "run_id")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class MaskingFormatter(logging.Formatter):
    """Any formatter's lines with URL passwords and secret query values masked (a library's error
    can name the database URL it connected to)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return mask_url_secrets(self.inner.format(record))


def configure(*, verbose: bool, fmt: str) -> None:
    handler = logging.StreamHandler()
    inner = (
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setFormatter(MaskingFormatter(inner))
    # Not forced: a host that configured logging already (an embedding app, pytest) keeps its handlers.
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    # Alembic and APScheduler narrate every step; only their warnings matter to a user.
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(logging.DEBUG if verbose else logging.WARNING)
