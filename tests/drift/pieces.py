"""Numerical current columns summarised compactly in pieces and merged, as a cluster summarises them."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd

from monitor.drift import ColumnKind
from monitor.drift.compact import CompactNumericSummary, ReferenceGrid, compact_numeric
from monitor.drift.summary import NumericSummary, summarise


def reference_summary(values: list[float] | np.ndarray) -> NumericSummary:
    summary = summarise(pd.Series(values, dtype=float), ColumnKind.NUMERICAL)
    assert isinstance(summary, NumericSummary)
    return summary


def merged_pieces(
    reference: NumericSummary, current: list[float] | np.ndarray, cuts: list[int], **grid_options: int
) -> CompactNumericSummary:
    """The current values cut into pieces at `cuts` (empty pieces too), each summarised, then merged."""
    grid = ReferenceGrid.of(reference, **grid_options)
    bounds = [0, *sorted(min(c, len(current)) for c in cuts), len(current)]
    series = pd.Series(current, dtype=float)
    pieces = [compact_numeric(series.iloc[a:b], grid) for a, b in itertools.pairwise(bounds)]
    return functools.reduce(CompactNumericSummary.merge, pieces)


def finite(values: list[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[np.isfinite(array)]
