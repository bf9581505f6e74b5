"""A fixed past period of a source as the reference: `type: period` with `start` and `end`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from monitor.sources.base import Source, SourceContext, SourceError, build_source, register


class PeriodSource:
    """Always the rows of [start, end) of the inner source, whatever bounds a caller passes."""

    def __init__(self, inner: Source, start: datetime, end: datetime, time_column: str) -> None:
        self.inner = inner
        self.start = start
        self.end = end
        self.time_column = time_column

    def read(
        self, start: datetime | None = None, end: datetime | None = None, *, time_column: str | None = None
    ) -> pd.DataFrame:
        frame = self.inner.read(self.start, self.end, time_column=self.time_column)
        if frame.empty:
            raise SourceError(
                f"the reference period {self.start.isoformat()} .. {self.end.isoformat()} holds no rows"
            )
        return frame

    def sample(
        self,
        limit: int,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        time_column: str | None = None,
    ) -> pd.DataFrame:
        """Rows of the period; an empty period is the caller's finding here, not an error."""
        return self.inner.sample(limit, self.start, self.end, time_column=self.time_column)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


def _build(config: Any, context: SourceContext) -> PeriodSource:
    if context.monitor is None:
        raise SourceError("a `period` reference belongs to a monitor, whose source and time column it uses")
    inner_config = config.source or context.monitor.source
    # Read as a reference (every column: its quality summary names them all), from the predictions.
    inner = build_source(
        inner_config,
        context.resolve_path,
        monitor=context.monitor,
        role="reference",
        sessions=context.sessions,
    )
    return PeriodSource(inner, config.start, config.end, context.monitor.schema_.timestamp_column)


register("period", _build)
