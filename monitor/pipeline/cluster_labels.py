"""Label metrics of a window computed on a Dask cluster (`compute.backend: dask` with `labels`).

Labels live in the service's database and a window's predictions where the workers read them, so the
join happens on the workers: each task reads its piece of the window (the id, output and segment
columns only), looks up the labels of its ids in the store (so the workers connect to the service's
database, `database.url`, which must be reachable from them), and sends back the partial summaries of
the metrics (monitor.metrics.partial) of its labelled rows, one per label checkpoint at which they
start to count; the summaries merge on the cluster and the rows never leave it.

When a window is first run the workers also store its prediction ids, so its late labels find it as
they find a window computed locally; each later metric version is computed the same way, the window
read again on the cluster (monitor.pipeline.label_refresh). The values are the local engine's for
every metric that merges exactly, and ROC and PR AUC come from merged score histograms, each stored
with the bound of its distance from the exact value (MetricValue.bound; monitor.metrics.partial).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import pyarrow.compute as pc

from monitor.compute import ComputeError
from monitor.config import MonitorConfig
from monitor.metrics import MetricValue
from monitor.metrics.partial import Partial, empty_partial, merge, metrics_from
from monitor.metrics.partial_base import MetricSettings
from monitor.pipeline.labels import LABELLED_AT, join_labels, prediction_ids, window_partial
from monitor.pipeline.reference import output_columns
from monitor.pipeline.segments import split_counted
from monitor.store import DatabaseError, process_sessions, transaction
from monitor.store import labels as label_store
from monitor.store.labels import LabelColumns


@dataclass(frozen=True)
class LabelPlan:
    """What each task of a label pass needs."""

    monitor: MonitorConfig
    database: str  # the store's URL, as the workers connect to it
    monitor_id: int
    run_id: int
    save_ids: bool  # store the window's prediction ids (its first run, or an older window adopted)
    # Labels that start to count at a checkpoint at or before `after` are counted together, at
    # `after`; past `through` none counts. `through` None: nothing is counted (the ids are stored).
    after: datetime | None
    through: datetime | None
    settings: MetricSettings
    segments: tuple[str, ...] = ()  # the window's segments; with "(other)", it pools the rest
    pulled_through: datetime | None = None  # the run's: a label pulled later, known before `after`, is late

    @property
    def step(self) -> pd.Timedelta:
        assert self.monitor.labels is not None
        return pd.Timedelta(self.monitor.labels.recompute_every)


@dataclass(frozen=True)
class Counted:
    """Labelled rows counted from one checkpoint on: the window's and each segment's."""

    rows: int
    whole: Partial
    segments: Mapping[str, tuple[int, Partial]] = field(default_factory=dict)

    def merge(self, other: Counted) -> Counted:
        segments = dict(self.segments)
        for name, (rows, partial) in other.segments.items():
            mine = segments.get(name)
            segments[name] = (rows, partial) if mine is None else (mine[0] + rows, merge(mine[1], partial))
        return Counted(self.rows + other.rows, merge(self.whole, other.whole), segments)


@dataclass(frozen=True)
class LabelPiece:
    """A label pass's summary of a piece of the window (or of the merged window)."""

    rows: int
    counted: Mapping[datetime, Counted] = field(default_factory=dict)  # by checkpoint
    late: bool = False  # a label pulled after the run, known before `after`

    def as_of(self, point: datetime | None, task: str) -> Counted:
        """The rows counted at `point`: those counted from it or an earlier checkpoint (none without)."""
        found = Counted(0, empty_partial(task))
        for start in sorted(p for p in self.counted if point is not None and p <= point):
            found = found.merge(self.counted[start])
        return found


def merge_label_pieces(*pieces: LabelPiece) -> LabelPiece:
    counted: dict[datetime, Counted] = {}
    for piece in pieces:
        for point, found in piece.counted.items():
            mine = counted.get(point)
            counted[point] = found if mine is None else mine.merge(found)
    return LabelPiece(sum(p.rows for p in pieces), counted, any(p.late for p in pieces))


def label_columns(monitor: MonitorConfig, names: list[str]) -> list[str]:
    """The columns a label pass reads: the id, the outputs the metrics take, the segment columns."""
    by = monitor.segments.by if monitor.segments is not None else []
    wanted = [monitor.schema_.id_column, *output_columns(monitor), *by]
    return [c for c in dict.fromkeys(wanted) if c in names]


def label_piece(frame: pd.DataFrame, plan: LabelPlan) -> LabelPiece:
    """On a worker: a piece's ids stored (`save_ids`), its labels looked up and its labelled rows
    summarised by the checkpoint they start to count at."""
    monitor = plan.monitor
    ids = prediction_ids(monitor, frame)
    try:
        sessions = process_sessions(plan.database)
        if plan.save_ids:
            with transaction(sessions) as session:
                label_store.add_window_ids(
                    session=session, run_id=plan.run_id, monitor_id=plan.monitor_id, ids=ids
                )
        if plan.through is None:
            return LabelPiece(len(frame))
        with sessions() as session:
            stored = label_store.label_columns_of_ids(session=session, monitor_id=plan.monitor_id, ids=ids)
    except DatabaseError as exc:
        raise ComputeError(
            f"a Dask worker could not use the service's database for the window's labels: {exc}"
        ) from None
    joined = join_labels(monitor, frame, stored)
    points = _start_points(joined[LABELLED_AT], plan)
    counted = {
        point.to_pydatetime(): _count(plan, joined[points == point]) for point in points.dropna().unique()
    }
    return LabelPiece(len(frame), counted, _late(stored, plan))


def _start_points(labelled_at: pd.Series, plan: LabelPlan) -> pd.Series:
    """The checkpoint each label starts to count at (the first after it became known), `after` for
    those at or before it, none past `through`."""
    assert plan.through is not None
    step = plan.step.value
    moments = labelled_at.astype("datetime64[ns, UTC]").astype("int64").to_numpy()
    starts = (moments // step) * step + step
    points = pd.Series(pd.to_datetime(starts, utc=True), index=labelled_at.index)
    if plan.after is not None:
        points = points.where(points > pd.Timestamp(plan.after), pd.Timestamp(plan.after))
    return points.where(points <= pd.Timestamp(plan.through))


def _count(plan: LabelPlan, rows: pd.DataFrame) -> Counted:
    monitor, settings = plan.monitor, plan.settings
    segments = {
        name: (len(mine), window_partial(monitor, mine, settings))
        for name, mine in split_counted(monitor, rows, list(plan.segments)).items()
        if len(mine)
    }
    return Counted(len(rows), window_partial(monitor, rows, settings), segments)


def _late(stored: LabelColumns, plan: LabelPlan) -> bool:
    """Whether a label of the piece was pulled after the run was computed and known before `after`."""
    if plan.pulled_through is None or plan.after is None or not len(stored):
        return False
    naive = [t.astimezone(UTC).replace(tzinfo=None) for t in (plan.pulled_through, plan.after)]
    found = pc.and_(pc.greater(stored.pulled_through, naive[0]), pc.less(stored.labelled_at, naive[1]))
    return bool(pc.any(found).as_py())


def segment_metrics(
    counted: Counted, settings: MetricSettings, known: tuple[str, ...]
) -> dict[str, tuple[int, list[MetricValue]]]:
    """Each known segment's labelled rows and metrics (no labelled row: the metrics say so)."""
    none = (0, empty_partial(settings.task))
    found = {}
    for name in known:
        rows, partial = counted.segments.get(name, none)
        found[name] = (rows, metrics_from(partial, settings))
    return found
