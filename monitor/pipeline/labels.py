"""Delayed ground truth: a window's predictions joined by id to the labels pulled so far
(monitor.pipeline.label_stream), and its metrics as of a label checkpoint (monitor.label_time).

A window's metrics count the labels that became known before a checkpoint, with the label coverage
(labelled share) stored beside them. Its first metrics are as of when it is run; each later
checkpoint at which labels of its rows became known, up to the end of its label horizon, adds a
version (monitor.pipeline.label_refresh). Earlier versions stay: the API and pages show the latest
and keep the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from monitor.config import MonitorConfig
from monitor.metrics import MetricValue, compute_metrics
from monitor.metrics.partial import MetricSettings, Partial, partial_summary
from monitor.metrics.score_histogram import ScoreGrid
from monitor.pipeline.reference import output_columns
from monitor.sources import SourceError
from monitor.store.labels import LabelColumns, StoredLabel
from monitor.windows import Window

LABELLED_AT = "_labelled_at"  # when each joined label became known


def prediction_ids(monitor: MonitorConfig, current: pd.DataFrame) -> list[str]:
    """The window's prediction ids as text, the form labels are stored and joined by."""
    id_col = monitor.schema_.id_column
    if id_col not in current.columns:
        raise SourceError(f"predictions lack the id column {id_col!r}")
    ids = current[id_col].dropna()
    if isinstance(ids.dtype, pd.StringDtype):  # already text: taken as is, without a loop in Python
        return list(ids.tolist())
    return [str(x) for x in ids]


def _known(label_col: str, labels: Sequence[StoredLabel] | LabelColumns) -> pd.DataFrame:
    """The stored labels as a frame: join id, value, and when it became known."""
    if isinstance(labels, LabelColumns):
        ids = labels.join_ids.to_pylist()
        values = labels.values
        times = pd.Series(labels.labelled_at.to_numpy(zero_copy_only=False)).dt.tz_localize("UTC")
    else:
        ids = [x.join_id for x in labels]
        values = [x.value for x in labels]
        times = pd.Series([x.labelled_at for x in labels], dtype="datetime64[ns, UTC]")
    return pd.DataFrame(
        {
            "_join_id": ids,
            # Labels come back from JSON as Python scalars: let pandas find their common type.
            label_col: pd.Series(values, dtype=object).infer_objects(),
            LABELLED_AT: times.astype("datetime64[ns, UTC]"),
        }
    )


def join_labels(
    monitor: MonitorConfig, current: pd.DataFrame, labels: Sequence[StoredLabel] | LabelColumns
) -> pd.DataFrame:
    """The window's predictions that have a stored label: their outputs, the label, and when it
    became known (LABELLED_AT)."""
    assert monitor.labels is not None
    label_col, id_col = monitor.labels.label_column, monitor.schema_.id_column
    # Segment columns too: a segment's metrics count its own rows' labels.
    segments = monitor.segments.by if monitor.segments else []
    wanted = dict.fromkeys((id_col, *output_columns(monitor), *segments))
    keep = [c for c in wanted if c in current.columns and c != label_col]
    known = _known(label_col, labels)
    if current.empty or known.empty:
        return (
            current[keep]
            .iloc[0:0]
            .assign(**{label_col: known[label_col][:0], LABELLED_AT: known[LABELLED_AT][:0]})
        )
    # Ids compare as text: a log with integer ids and labels sent as strings still join.
    predictions = current[keep].assign(_join_id=current[id_col].astype(str))
    return predictions.merge(known, on="_join_id", how="inner").drop(columns="_join_id")


def counted_as_of(labelled: pd.DataFrame, as_of: datetime | None) -> pd.DataFrame:
    """The joined rows whose label was known before the checkpoint (none without one)."""
    if as_of is None:
        return labelled.iloc[0:0]
    return labelled[labelled[LABELLED_AT] < pd.Timestamp(as_of)]


@dataclass(frozen=True)
class _MetricInputs:
    labels: np.ndarray
    predictions: np.ndarray | None
    scores: np.ndarray | None
    class_scores: dict[str, np.ndarray] | None


def _metric_inputs(monitor: MonitorConfig, labelled: pd.DataFrame) -> _MetricInputs:
    """The columns of the labelled rows the metrics are computed from."""
    assert monitor.labels is not None
    schema = monitor.schema_

    def column(name: str | None) -> pd.Series | None:
        return labelled[name] if name and name in labelled.columns else None

    prediction, score = column(schema.prediction_column), column(schema.score_column)
    class_scores = None
    if schema.class_score_columns:
        class_scores = {
            cls: labelled[col].to_numpy(dtype=float, na_value=float("nan"))
            for cls, col in schema.class_score_columns.items()
            if col in labelled.columns
        } or None
    return _MetricInputs(
        labelled[monitor.labels.label_column].to_numpy(),
        None if prediction is None else prediction.to_numpy(),
        None
        if score is None
        else pd.to_numeric(score, errors="coerce").to_numpy(dtype=float, na_value=float("nan")),
        class_scores,
    )


def window_metrics(monitor: MonitorConfig, labelled: pd.DataFrame) -> list[MetricValue]:
    if monitor.labels is None:
        return []
    found = _metric_inputs(monitor, labelled)
    return compute_metrics(
        monitor.task,
        monitor.metrics,
        found.labels,
        found.predictions,
        found.scores,
        class_scores=found.class_scores,
        positive_label=monitor.positive_label,
        average=monitor.average,
    )


def metric_settings(monitor: MonitorConfig, score_grid: ScoreGrid | None = None) -> MetricSettings:
    """What the monitor's metrics are computed with, for partial summaries (monitor.metrics.partial);
    `score_grid`: the bins of binary scores, by default [0, 1]."""
    return MetricSettings(
        monitor.task,
        tuple(monitor.metrics),
        monitor.positive_label,
        monitor.average,
        score_grid or ScoreGrid(),
    )


def window_partial(monitor: MonitorConfig, labelled: pd.DataFrame, settings: MetricSettings) -> Partial:
    """The partial summary of a piece of a window's labelled rows (the rows window_metrics takes):
    merged with the other pieces', metrics_from gives the window's metrics."""
    if monitor.labels is None:
        raise ValueError(f"monitor {monitor.model!r} has no labels: no metrics to summarise")
    found = _metric_inputs(monitor, labelled)
    return partial_summary(
        settings, found.labels, found.predictions, found.scores, class_scores=found.class_scores
    )


@dataclass(frozen=True)
class MetricVersion:
    """A window's metrics as of a label checkpoint, as a late-label pass stores them."""

    run_id: int
    window: Window
    as_of: datetime
    metrics: list[MetricValue]
    coverage: float | None
    labelled_count: int
    # Each stored segment's metrics and labelled rows as of the same checkpoint.
    segments: dict[str, list[MetricValue]] = field(default_factory=dict)
    segment_labelled: dict[str, int] = field(default_factory=dict)
