"""Pulling the label stream: labels are read from the label source by the time they became known,
from the monitor's watermark up to a moment, stored by prediction id, and the watermark moves there.
Each label is read once (plus `labels.lateness` of overlap on live pulls), so the cost of labels is
linear in the label data whatever the history's length."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from monitor.pipeline.runtime import Runtime
from monitor.sources import SourceError
from monitor.store import labels as label_store
from monitor.store import transaction
from monitor.store.monitors import monitor_id as find_monitor_id

logger = logging.getLogger(__name__)


def pull_labels(runtime: Runtime, name: str, *, through: datetime, overlap: timedelta) -> int:
    """Stores the labels known before `through` that were not pulled yet; moves the watermark to
    `through`. Returns how many label rows were read. Raises SourceError for a source that is down or
    malformed, leaving the watermark where it was."""
    monitor = runtime.monitor(name)
    cfg = monitor.labels
    source = runtime.labels_source(name)
    if cfg is None or source is None:
        return 0
    with runtime.sessions() as session:
        mid = find_monitor_id(session=session, name=name)
        mark = label_store.watermark(session=session, monitor_id=mid) if mid is not None else None
    if mid is None:
        raise KeyError(f"monitor {name!r} is not in the database")
    if mark is not None and mark >= through:
        return 0
    if cfg.timestamp_column:
        start = None if mark is None else mark - overlap
        frame = source.read(start, through, time_column=cfg.timestamp_column)
    else:
        frame = source.read()
    rows = _label_rows(frame, cfg.id_column, cfg.label_column, cfg.timestamp_column, through)
    with transaction(runtime.sessions) as session:
        label_store.upsert_labels(session=session, monitor_id=mid, labels=rows, pulled_through=through)
        label_store.set_watermark(session=session, monitor_id=mid, through=through)
    return len(frame)


def _label_rows(
    frame: pd.DataFrame, id_column: str, label_column: str, time_column: str | None, through: datetime
) -> list[tuple[str, Any, datetime]]:
    wanted = [id_column, label_column, *([time_column] if time_column else [])]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns)) or "no columns"
        raise SourceError(f"labels lack column(s) {', '.join(missing)} (they have: {have})")
    frame = frame[wanted].dropna(subset=[id_column, label_column])
    if time_column:
        frame = frame.dropna(subset=[time_column]).sort_values(time_column, kind="stable")
    # A prediction labelled twice keeps its latest label (a correction).
    frame = frame.drop_duplicates(id_column, keep="last")
    ids = frame[id_column].astype(str).tolist()
    too_long = [i for i in ids if len(i) > 255]
    if too_long:
        raise SourceError(
            f"{len(too_long)} label id(s) longer than 255 characters, e.g. {too_long[0][:40]!r}..."
        )
    values = [_plain(v) for v in frame[label_column].tolist()]
    if time_column:
        # The store keeps microseconds: a label is known from its time, rounded down to one.
        times = pd.to_datetime(frame[time_column], utc=True).dt.floor("us").dt.to_pydatetime().tolist()
    else:
        times = [through] * len(ids)
    return list(zip(ids, values, times, strict=True))


def _plain(value: Any) -> Any:
    """A label as JSON stores it: numpy scalars become Python's."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # labels read through a nullable column come back as 1.0
    return value


def pull_quietly(runtime: Runtime, name: str, *, through: datetime, overlap: timedelta) -> str | None:
    """`pull_labels` for the scheduler: a source that is down is logged and retried at the next tick,
    the watermark staying put so nothing is skipped. Returns the error, if any."""
    try:
        pull_labels(runtime, name, through=through, overlap=overlap)
    except (SourceError, ValueError, KeyError, OSError) as exc:
        logger.warning("labels of %s not pulled: %s", name, exc)
        return str(exc)
    return None
