"""One pass over a window's pieces for a scheduled run: each piece (a partition, read on a worker) gives
its features' and outputs' drift summaries, its columns' quality facts and its serving-health counts;
pieces merge into the window's (`WindowPiece.merge`), so only the merged piece reaches the service.

`WindowPlan` is what every worker needs (sent once): the two summary plans (monitor.drift.plan), the
reference's quality summary, and the health columns. Pure: no I/O, importable on any worker.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from monitor.drift import CurrentSummary, summarise_piece
from monitor.drift.plan import SummaryPlan
from monitor.metrics.serving_partial import HealthColumns, HealthFacts, health_facts
from monitor.quality import QualityReference
from monitor.quality.checks import window_column_facts
from monitor.quality.facts import ColumnFacts


@dataclass(frozen=True)
class WindowPlan:
    features: SummaryPlan
    feature_columns: tuple[str, ...]
    outputs: SummaryPlan | None  # None: the reference has none of the model's outputs
    output_columns: tuple[str, ...]
    quality: QualityReference
    quality_columns: tuple[str, ...]  # features and outputs
    health: HealthColumns


@dataclass(frozen=True)
class WindowPiece:
    features: CurrentSummary
    outputs: CurrentSummary | None
    quality: Mapping[str, ColumnFacts]
    health: HealthFacts

    @property
    def rows(self) -> int:
        return self.features.rows

    def merge(self, other: WindowPiece) -> WindowPiece:
        quality = dict(self.quality)
        for name, facts in other.quality.items():
            quality[name] = quality[name].merge(facts) if name in quality else facts
        outputs = self.outputs
        if outputs is not None and other.outputs is not None:
            outputs = outputs.merge(other.outputs)
        features, health = self.features.merge(other.features), self.health.merge(other.health)
        return WindowPiece(features, outputs, quality, health)


def _columns(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    return frame[[name for name in names if name in frame.columns]]


def summarise_window_piece(frame: pd.DataFrame, plan: WindowPlan) -> WindowPiece:
    """One piece of a window, summarised where it was read."""
    features = summarise_piece(_columns(frame, plan.feature_columns), plan.features)
    outputs = None
    if plan.outputs is not None:
        outputs = summarise_piece(_columns(frame, plan.output_columns), plan.outputs)
    quality = window_column_facts(frame, plan.quality, plan.quality_columns)
    return WindowPiece(features, outputs, quality, health_facts(frame, plan.health))


def merge_window_pieces(*pieces: WindowPiece) -> WindowPiece:
    """Consecutive pieces merged in order (a step of the merge tree)."""
    return functools.reduce(WindowPiece.merge, pieces)
