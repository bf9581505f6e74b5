"""The bins PSI compares shares over, exactly as the product spec defines them.

- Numerical, more than 10 distinct reference values: inner edges
  `E = np.unique(np.quantile(ref, [0.1, ..., 0.9]))` and value v in bin `np.searchsorted(E, v, "right")`.
  The outer bins are open-ended, so no current value is ever dropped; ties in the quantiles merge
  bins (np.unique), so there can be fewer than 10.
- Numerical with at most 10 distinct reference values, and categorical: one bin per distinct value
  of the union of both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift.base import Values, count_categories
from monitor.drift.types import ColumnKind

MAX_DISTINCT_FOR_VALUE_BINS = 10
# Spelled out rather than np.linspace so the floats are exactly the spec's literals.
QUANTILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class Bins:
    reference_counts: list[int]
    current_counts: list[int]
    details: dict[str, Any]  # JSON-able description of the bins, for charts


def quantile_edges(reference: Values) -> Values:
    return np.unique(np.quantile(reference, QUANTILES))


def bin_counts(reference: Values, current: Values, kind: ColumnKind) -> Bins:
    if kind is ColumnKind.NUMERICAL and len(pd.unique(reference)) > MAX_DISTINCT_FOR_VALUE_BINS:
        edges = quantile_edges(reference)
        n_bins = len(edges) + 1
        reference_counts = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=n_bins)
        current_counts = np.bincount(np.searchsorted(edges, current, side="right"), minlength=n_bins)
        return Bins(
            reference_counts=[int(n) for n in reference_counts],
            current_counts=[int(n) for n in current_counts],
            details={"binning": "quantile", "edges": [float(e) for e in edges]},
        )
    counts = count_categories(reference, current)
    return Bins(
        reference_counts=counts.reference,
        current_counts=counts.current,
        details={"binning": "distinct", "categories": counts.categories},
    )
