"""The source interface and its registry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from monitor.errors import UserError


class SourceError(UserError):
    """A source that cannot be read: unreachable, missing, malformed. The message says which and why."""


class Source(Protocol):
    def read(
        self, start: datetime | None = None, end: datetime | None = None, *, time_column: str | None = None
    ) -> pd.DataFrame:
        """Rows with start <= time_column < end (UTC-aware bounds); everything when no bounds."""
        ...


SourceFactory = Callable[[Any, Callable[[str], Any]], Source]
_REGISTRY: dict[str, SourceFactory] = {}


def register(kind: str, factory: SourceFactory) -> None:
    _REGISTRY[kind] = factory


def build_source(config: Any, resolve_path: Callable[[str], Any]) -> Source:
    from monitor.sources import files  # noqa: F401  (registers the built-in kinds)

    try:
        factory = _REGISTRY[config.type]
    except KeyError:
        raise SourceError(
            f"unknown source type {config.type!r}; known: {', '.join(sorted(_REGISTRY))}"
        ) from None
    return factory(config, resolve_path)
