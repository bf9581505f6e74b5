"""Reading a few rows of each of a monitor's sources for `config validate --check-sources`: the
sources are built as a run builds them and read through their `sample`, so the same checks apply."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from monitor.config import Config, MonitorConfig
from monitor.errors import mask_url_secrets
from monitor.sources import Source, SourceError, build_source
from monitor.store import make_engine, make_session_factory

Stream = Literal["predictions", "reference", "labels"]


@dataclass(frozen=True)
class Sample:
    stream: Stream
    path: str  # the source's place in the monitor's config: source, reference, labels.source
    frame: pd.DataFrame | None  # None when it could not be read
    error: str | None = None  # why it could not be read
    # Why the time filter a run applies refused the time column (the rows were then read without it).
    time_error: str | None = None


SampledSources = dict[Stream, Sample]


@contextmanager
def sample_sources(
    config: Config, *, sample_rows: int, all_time: tuple[datetime, datetime]
) -> Iterator[Callable[[str], SampledSources]]:
    """A function sampling one monitor's sources; connections are closed when the block ends."""
    engine, sessions, database_error = None, None, None
    if any(_reads_pushed_rows(m) for m in config.monitors.values()):
        try:
            engine = make_engine(config.database_url())
            sessions = make_session_factory(engine)
        except Exception as exc:  # a malformed URL: said once per source that needs it
            database_error = f"cannot open the service database: {_reason(exc)}"
    opened: list[Source] = []

    def sample(name: str) -> SampledSources:
        monitor = config.monitors[name]
        streams: list[tuple[Stream, str, Any, str | None]] = [
            ("predictions", "source", monitor.source, monitor.schema_.timestamp_column),
            ("reference", "reference", monitor.reference, None),
        ]
        if monitor.labels is not None:
            labels = monitor.labels
            streams.append(("labels", "labels.source", labels.source, labels.timestamp_column))
        found: SampledSources = {}
        for stream, path, source_config, time_column in streams:
            if database_error and source_config.type == "ingest":
                found[stream] = Sample(stream, path, None, database_error)
                continue
            try:
                role = "labels" if stream == "labels" else stream
                source = build_source(
                    source_config, config.resolve_path, monitor=monitor, role=role, sessions=sessions
                )
            except Exception as exc:  # one bad source must not stop the others' checks
                found[stream] = Sample(stream, path, None, _reason(exc))
                continue
            opened.append(source)
            found[stream] = _sample(source, stream, path, time_column, sample_rows, all_time)
        return found

    try:
        yield sample
    finally:
        for source in opened:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        if engine is not None:
            engine.dispose()


def _reads_pushed_rows(monitor: MonitorConfig) -> bool:
    kinds = {monitor.source.type, monitor.reference.type}
    if monitor.labels is not None:
        kinds.add(monitor.labels.source.type)
    return "ingest" in kinds


def _sample(
    source: Source,
    stream: Stream,
    path: str,
    time_column: str | None,
    rows: int,
    all_time: tuple[datetime, datetime],
) -> Sample:
    try:
        if time_column is None:
            return Sample(stream, path, source.sample(rows))
        try:
            return Sample(stream, path, source.sample(rows, *all_time, time_column=time_column))
        except SourceError as refused:
            # Read again without the filter, to tell a missing or mistyped time column (reported at
            # the column's path) from a source that cannot be read at all.
            try:
                frame = source.sample(rows)
            except Exception:
                raise refused from None
            return Sample(stream, path, frame, time_error=str(refused) if time_column in frame else None)
    except Exception as exc:  # every problem is reported, none ends the pass
        return Sample(stream, path, None, _reason(exc))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SourceError):
        return mask_url_secrets(str(exc))
    # Driver errors wrapped by SQLAlchemy: the driver's own first line says it best.
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return mask_url_secrets(f"cannot be read: {reason[0] if reason else type(exc).__name__}")
