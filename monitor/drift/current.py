"""The current window's side: each column summarised as the reference profile says, mergeable.

A window can be summarised in pieces (`summarise_current` on each) and the pieces merged
(`CurrentSummary.merge`): counts add up, sorted values merge, so the merged summary is exactly the
whole window's and `compare_summaries` gives identical results. A column whose kind the current
window decides (no kind set, and the reference lacks it or has no values of it) is counted without a
kind in each piece (undecided.py), and its kind inferred from the merged whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitor.drift.compact import CompactNumericSummary
from monitor.drift.dataset_partial import DatasetPiece
from monitor.drift.kinds import infer_kind
from monitor.drift.options import DriftOptions
from monitor.drift.pair import CurrentSide
from monitor.drift.parallel import map_columns
from monitor.drift.profile import ColumnProfile, ReferenceProfile, columns_by_name, set_kind
from monitor.drift.registry import EVIDENTLY_PREFIX
from monitor.drift.summary import CategorySummary, CountSummary, NumericSummary, Summary, summarise
from monitor.drift.types import ColumnKind
from monitor.drift.undecided import UndecidedSummary

# One piece's summary of one current column: as its settled kind (compact for a numerical column
# summarised against the reference, compact.py), or undecided until merged.
Piece = Summary | CompactNumericSummary | UndecidedSummary


@dataclass(frozen=True)
class CurrentSummary:
    """The current window, summarised column by column; pieces of a window merge into the whole."""

    rows: int
    columns: Mapping[str, Piece]  # in the current data's column order
    # What dataset-level drift keeps of the rows (dataset_partial.py); None: not asked for.
    dataset: DatasetPiece | None = None

    def merge(self, other: CurrentSummary) -> CurrentSummary:
        merged: dict[str, Piece] = {}
        for name in [*self.columns, *(n for n in other.columns if n not in self.columns)]:
            mine, theirs = self.columns.get(name), other.columns.get(name)
            if mine is None or theirs is None:  # a piece without the column: its rows are missing there
                present, absent_rows = (mine, other.rows) if theirs is None else (theirs, self.rows)
                assert present is not None
                merged[name] = _merge(present, _all_missing(present, absent_rows))
            else:
                merged[name] = _merge(mine, theirs)
        dataset = self.dataset
        if dataset is None or other.dataset is None:
            dataset = dataset if other.dataset is None else other.dataset
        else:
            dataset = dataset.merge(other.dataset)
        return CurrentSummary(self.rows + other.rows, merged, dataset)


def _merge(first: Piece, second: Piece) -> Piece:
    if isinstance(first, UndecidedSummary) and isinstance(second, UndecidedSummary):
        return first.merge(second)
    if isinstance(first, CompactNumericSummary) and isinstance(second, CompactNumericSummary):
        return first.merge(second)
    if isinstance(first, UndecidedSummary | CompactNumericSummary) or isinstance(
        second, UndecidedSummary | CompactNumericSummary
    ):
        raise ValueError("pieces of a window must be summarised with the same profile and options")
    return first.merge(second)


def _all_missing(like: Piece, rows: int) -> Piece:
    if isinstance(like, UndecidedSummary | CompactNumericSummary):
        return like.all_missing(rows)
    if like.kind is ColumnKind.NUMERICAL:
        return NumericSummary(np.zeros(0), rows, rows)
    if like.kind is ColumnKind.CATEGORICAL:
        return CategorySummary((), np.zeros(0, dtype=np.int64), rows, rows)
    return CountSummary(like.kind, rows, rows, 0)


def settled_kind(
    name: str, reference: ColumnProfile | None, options: DriftOptions
) -> tuple[ColumnKind, str] | None:
    """The column's kind and why, when the options or the reference settle it; None when the current
    window decides it (the reference is the baseline, so it decides, unless it has nothing to go by)."""
    kind = set_kind(name, options)
    if kind is not None:
        return kind, "set in options"
    if reference is not None and reference.kind_settled:
        return reference.kind, reference.kind_reason
    return None


def summarise_column(
    name: str, series: pd.Series, reference: ColumnProfile | None, options: DriftOptions
) -> Piece:
    """A piece of a current column, summarised as its settled kind, else undecided."""
    settled = settled_kind(name, reference, options)
    return summarise(series, settled[0]) if settled is not None else UndecidedSummary.of(series)


def current_side(
    name: str, reference: ColumnProfile | None, current: pd.Series | Piece | None, options: DriftOptions
) -> tuple[ColumnKind, str, CurrentSide | None]:
    """The kind a current column is judged as, why, and its summary (None: not in the current data).
    `current` is the whole window's column, or its pieces' summaries merged."""
    settled = settled_kind(name, reference, options)
    if isinstance(current, pd.Series | UndecidedSummary):
        # A whole window's column, or the window's column again: the whole decides the kind, if anything.
        column = current.column() if isinstance(current, UndecidedSummary) else current
        kind, reason = settled if settled is not None else infer_kind(column)
        return kind, reason, summarise(column, kind)
    if settled is None:  # not in the current data (else it would be undecided): the reference's kind stands
        assert reference is not None
        settled = reference.kind, reference.kind_reason
    return settled[0], settled[1], current


def uses_evidently(options: DriftOptions) -> bool:
    named = list(options.tests) + [t for col in options.columns.values() for t in (col.tests or ())]
    return any(name.startswith(EVIDENTLY_PREFIX) for name in named)


def parallel_setting(options: DriftOptions) -> bool | None:
    # Evidently's tests record their warnings with catch_warnings, which is not thread-safe.
    return False if uses_evidently(options) else options.parallel


def summarise_current(
    current: pd.DataFrame, profile: ReferenceProfile, options: DriftOptions | None = None
) -> CurrentSummary:
    """The current window's summaries, each column summarised as the options or the profile settle its
    kind, or undecided until the whole window is merged."""
    options = options if options is not None else DriftOptions()
    by_name = columns_by_name(current, "current")
    names = list(by_name)

    def work(name: str) -> Piece:
        return summarise_column(name, current[by_name[name]], profile.columns.get(name), options)

    done = map_columns(work, names, parallel=parallel_setting(options), cells=len(current) * len(names))
    return CurrentSummary(len(current), dict(zip(names, done, strict=True)))
