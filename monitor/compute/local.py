"""`local`: the window summarised in this process, piece by piece, with the local engine's exact summaries.

What `compare_datasets` gives on the window's rows, without holding more than one piece's rows at a
time: each piece is summarised (`summarise_current`: sorted values, category counts) and merged.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pandas as pd

from monitor.drift import CurrentSummary, DriftOptions, ReferenceProfile, summarise_current


def frames_of(pieces: Any) -> Iterator[pd.DataFrame]:
    """Each piece as a pandas DataFrame: a DataFrame is one piece; a dask DataFrame, its partitions;
    otherwise each item of a sequence, computed in this process if it is dask.delayed."""
    if isinstance(pieces, pd.DataFrame):
        yield pieces
        return
    parts = pieces.to_delayed() if hasattr(pieces, "to_delayed") else pieces
    for part in parts:
        yield part if isinstance(part, pd.DataFrame) else part.compute(scheduler="sync")


class LocalBackend:
    name = "local"

    def summarise_window(
        self, pieces: Any, profile: ReferenceProfile, options: DriftOptions | None = None
    ) -> CurrentSummary:
        merged: CurrentSummary | None = None
        for frame in frames_of(pieces):
            summary = summarise_current(frame, profile, options)
            merged = summary if merged is None else merged.merge(summary)
        if merged is None:
            raise ValueError("a window needs at least one piece (an empty DataFrame is one)")
        return merged

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name}

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
