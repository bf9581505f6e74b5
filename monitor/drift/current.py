"""The current window's side: each column summarised as the reference profile says, mergeable.

A window can be summarised in pieces (`summarise_current` on each) and the pieces merged
(`CurrentSummary.merge`): counts add up, sorted values merge, so the merged summary is exactly the
whole window's and `compare_summaries` gives identical results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from monitor.drift.kinds import infer_kind
from monitor.drift.options import DriftOptions
from monitor.drift.parallel import map_columns
from monitor.drift.profile import ColumnProfile, ReferenceProfile, columns_by_name, set_kind
from monitor.drift.registry import EVIDENTLY_PREFIX
from monitor.drift.summary import CategorySummary, CountSummary, NumericSummary, Summary, summarise
from monitor.drift.types import ColumnKind


@dataclass(frozen=True)
class CurrentSummary:
    """The current window, summarised column by column; pieces of a window merge into the whole."""

    rows: int
    columns: Mapping[str, Summary]  # in the current data's column order
    kind_reasons: Mapping[str, str] = field(default_factory=dict)  # why each column has its kind

    def merge(self, other: CurrentSummary) -> CurrentSummary:
        merged: dict[str, Summary] = {}
        for name in [*self.columns, *(n for n in other.columns if n not in self.columns)]:
            mine, theirs = self.columns.get(name), other.columns.get(name)
            if mine is None or theirs is None:  # a piece without the column: its rows are missing there
                present, absent_rows = (mine, other.rows) if theirs is None else (theirs, self.rows)
                assert present is not None
                merged[name] = present.merge(_all_missing(present.kind, absent_rows))
            else:
                merged[name] = mine.merge(theirs)
        return CurrentSummary(self.rows + other.rows, merged, {**other.kind_reasons, **self.kind_reasons})


def _all_missing(kind: ColumnKind, rows: int) -> Summary:
    if kind is ColumnKind.NUMERICAL:
        return NumericSummary(np.zeros(0), rows, rows)
    if kind is ColumnKind.CATEGORICAL:
        return CategorySummary((), np.zeros(0, dtype=np.int64), rows, rows)
    return CountSummary(kind, rows, rows, 0)


def current_kind(
    name: str, reference: ColumnProfile | None, current: pd.Series | None, options: DriftOptions
) -> tuple[ColumnKind, str]:
    kind = set_kind(name, options)
    if kind is not None:
        return kind, "set in options"
    # The reference is the baseline, so it decides; the current only when the reference has nothing.
    if reference is not None and (reference.kind_settled or current is None):
        return reference.kind, reference.kind_reason
    assert current is not None
    return infer_kind(current)


def uses_evidently(options: DriftOptions) -> bool:
    named = list(options.tests) + [t for col in options.columns.values() for t in (col.tests or ())]
    return any(name.startswith(EVIDENTLY_PREFIX) for name in named)


def parallel_setting(options: DriftOptions) -> bool | None:
    # Evidently's tests record their warnings with catch_warnings, which is not thread-safe.
    return False if uses_evidently(options) else options.parallel


def summarise_current(
    current: pd.DataFrame, profile: ReferenceProfile, options: DriftOptions | None = None
) -> CurrentSummary:
    """The current window's summaries, each column summarised as the profile's kind says."""
    options = options if options is not None else DriftOptions()
    by_name = columns_by_name(current, "current")
    names = list(by_name)

    def work(name: str) -> tuple[Summary, str]:
        series = current[by_name[name]]
        kind, reason = current_kind(name, profile.columns.get(name), series, options)
        return summarise(series, kind), reason

    done = map_columns(work, names, parallel=parallel_setting(options), cells=len(current) * len(names))
    return CurrentSummary(
        len(current),
        {name: summary for name, (summary, _) in zip(names, done, strict=True)},
        {name: reason for name, (_, reason) in zip(names, done, strict=True)},
    )
