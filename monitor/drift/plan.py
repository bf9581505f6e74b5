"""Summarising a current window in pieces with compact numerical summaries (compact.py), as a cluster does.

`compact_plan(profile, options)` is made once per window, where the profile is: per column the kind
its pieces are summarised as (as `summarise_current` settles it: options, then the reference, else
undecided until the pieces merge) and, for a numerical column the reference has values of, what its
compact summary is counted on (compact.ReferenceGrid). A plan holds no reference values beyond the
grid's points (at most grid.EXACT_LIMIT a column), so it is what is sent to the workers, not the profile.

`summarise_piece(frame, plan)` summarises one piece anywhere (a worker); pieces merge with
`CurrentSummary.merge`; `compare_summaries(profile, merged, options)` judges the whole window: chi2,
PSI, Jensen-Shannon, Hellinger, KS on references with at most EXACT_LIMIT distinct values, row counts
and column quality exactly as `compare_datasets` on the window's rows; KS beyond that limit from a
KLL sketch, and Wasserstein, within the bound their results report.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from monitor.drift.compact import ReferenceGrid, compact_numeric
from monitor.drift.current import CurrentSummary, Piece, parallel_setting, settled_kind
from monitor.drift.dataset_partial import DatasetPlan, dataset_plan, summarise_dataset
from monitor.drift.grid import EXACT_LIMIT
from monitor.drift.options import DriftOptions
from monitor.drift.parallel import map_columns
from monitor.drift.profile import ReferenceProfile, columns_by_name, set_kind
from monitor.drift.sketch import SKETCH_K
from monitor.drift.summary import NumericSummary, summarise
from monitor.drift.types import ColumnKind
from monitor.drift.undecided import UndecidedSummary


@dataclass(frozen=True)
class SummaryPlan:
    kinds: Mapping[str, ColumnKind | None]  # the profile's columns: settled kind, None: undecided
    grids: Mapping[str, ReferenceGrid]  # numerical columns the reference has values of
    options: DriftOptions  # settles the kinds of columns the profile lacks
    parallel: bool | None = None  # columns of a piece in threads (parallel.py); None: by size
    dataset: DatasetPlan | None = None  # what dataset-level drift keeps of each piece

    def kind_of(self, name: str) -> ColumnKind | None:
        return self.kinds[name] if name in self.kinds else set_kind(name, self.options)


def compact_plan(
    profile: ReferenceProfile,
    options: DriftOptions | None = None,
    *,
    exact_limit: int = EXACT_LIMIT,
    sketch_k: int = SKETCH_K,
    parallel: bool | None = None,
) -> SummaryPlan:
    """How to summarise pieces of a window to compare with `profile`: KS merges exactly for references
    with at most `exact_limit` distinct values, else from KLL sketches with parameter `sketch_k`.
    `parallel`: columns in threads within a piece (default: as the options say)."""
    options = options if options is not None else DriftOptions()
    kinds: dict[str, ColumnKind | None] = {}
    grids: dict[str, ReferenceGrid] = {}
    for name, column in profile.columns.items():
        settled = settled_kind(name, column, options)
        kinds[name] = settled[0] if settled is not None else None
        reference = column.summary
        if kinds[name] is ColumnKind.NUMERICAL and isinstance(reference, NumericSummary) and reference.count:
            grids[name] = ReferenceGrid.of(reference, exact_limit, sketch_k)
    threads = parallel if parallel is not None else parallel_setting(options)
    dataset = dataset_plan(profile.dataset, options.multivariate) if options.multivariate.enabled else None
    return SummaryPlan(kinds, grids, options, threads, dataset)


def summarise_series(name: str, series: pd.Series, plan: SummaryPlan) -> Piece:
    kind = plan.kind_of(name)
    if kind is None:
        return UndecidedSummary.of(series)
    if kind is ColumnKind.NUMERICAL:
        return compact_numeric(series, plan.grids.get(name))
    return summarise(series, kind)


def summarise_piece(piece: pd.DataFrame, plan: SummaryPlan) -> CurrentSummary:
    """One piece of the current window, numerical columns compact, the others as summarise_current."""
    by_name = columns_by_name(piece, "current")
    names = list(by_name)

    def work(name: str) -> Piece:
        return summarise_series(name, piece[by_name[name]], plan)

    done = map_columns(work, names, parallel=plan.parallel, cells=len(piece) * len(names))
    dataset = summarise_dataset(piece, plan.dataset) if plan.dataset is not None else None
    return CurrentSummary(len(piece), dict(zip(names, done, strict=True)), dataset)


def merge_summaries(*summaries: CurrentSummary) -> CurrentSummary:
    """Summaries of consecutive pieces merged, in order (one step of a tree of merges)."""
    return functools.reduce(CurrentSummary.merge, summaries)
