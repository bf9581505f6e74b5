"""The source interface and its registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pandas as pd

from monitor.errors import UserError

if TYPE_CHECKING:
    from monitor.config import MonitorConfig
    from monitor.store import SessionFactory


class SourceError(UserError):
    """A source that cannot be read: unreachable, missing, malformed. The message says which and why."""


class Source(Protocol):
    def read(
        self, start: datetime | None = None, end: datetime | None = None, *, time_column: str | None = None
    ) -> pd.DataFrame:
        """Rows with start <= time_column < end (UTC-aware bounds); everything when no bounds."""
        ...

    def sample(
        self,
        limit: int,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        time_column: str | None = None,
    ) -> pd.DataFrame:
        """At most `limit` of the rows `read` returns (the first found, not the newest), through the
        same checks; what `config validate --check-sources` looks at, so it stays fast on any size."""
        ...


Role = Literal["predictions", "labels", "reference"]


@dataclass(frozen=True)
class SourceContext:
    """What a source may need beyond its own config: where relative paths start, which monitor and
    which of its streams it serves, and the service database (for rows pushed over HTTP)."""

    resolve_path: Callable[[str], Path]
    monitor: MonitorConfig | None = None
    role: Role = "predictions"
    sessions: SessionFactory | None = None


SourceFactory = Callable[[Any, SourceContext], Source]
_REGISTRY: dict[str, SourceFactory] = {}


def register(kind: str, factory: SourceFactory) -> None:
    _REGISTRY[kind] = factory


def build_source(
    config: Any,
    resolve_path: Callable[[str], Any],
    *,
    monitor: MonitorConfig | None = None,
    role: Role = "predictions",
    sessions: SessionFactory | None = None,
) -> Source:
    # Importing registers the built-in kinds.
    from monitor.sources import files, ingest, period, sql  # noqa: F401

    try:
        factory = _REGISTRY[config.type]
    except KeyError:
        raise SourceError(
            f"unknown source type {config.type!r}; known: {', '.join(sorted(_REGISTRY))}"
        ) from None
    return factory(config, SourceContext(resolve_path, monitor, role, sessions))


# A window read with only the columns a run uses (monitor.config.window_columns) names every column of
# the data in this attribute, so a column new in the data is still reported (quality `new_column`).
SOURCE_COLUMNS = "source_columns"


def source_columns(frame: pd.DataFrame) -> list[str]:
    """Every column of the data the frame was read from, read or not."""
    names = frame.attrs.get(SOURCE_COLUMNS)
    return [str(c) for c in frame.columns] if names is None else list(names)


def utc_frame_times(frame: pd.DataFrame, time_column: str | None) -> pd.DataFrame:
    """The time column as UTC-aware timestamps (naive values are taken to be UTC)."""
    if time_column is not None and time_column in frame.columns:
        frame[time_column] = pd.to_datetime(frame[time_column], utc=True)
    return frame
