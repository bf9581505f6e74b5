"""The bins PSI, Jensen-Shannon and Hellinger compare shares over, exactly as the product spec defines them.

- Numerical, more than 10 distinct reference values: inner edges
  `E = np.unique(np.quantile(ref, [0.1, ..., 0.9]))` and value v in bin `np.searchsorted(E, v, "right")`.
  The outer bins are open-ended, so no current value is ever dropped; ties in the quantiles merge
  bins (np.unique), so there can be fewer than 10.
- Numerical with at most 10 distinct reference values, and categorical: one bin per distinct value
  of the union of both sides.

Everything is counted on summaries: the values are sorted, so a bin's count is a difference of two
binary searches (no pass over the rows), and the reference's edges are computed once per profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.drift.summary import CategorySummary, FloatArray, IntArray, NumericSummary

MAX_DISTINCT_FOR_VALUE_BINS = 10
# Bins beyond this many are counted and used, but not listed in a result's details (a float column
# whose reference had 3 values and whose current is continuous would list every current value).
MAX_LISTED_BINS = 1000


@dataclass(frozen=True)
class Bins:
    reference_counts: IntArray
    current_counts: IntArray
    details: dict[str, Any]  # JSON-able description of the bins, for charts


@dataclass(frozen=True)
class CategoryCounts:
    categories: list[Any]  # sorted union of both sides' distinct values
    reference: IntArray
    current: IntArray


def counts_between(values: FloatArray, edges: FloatArray) -> IntArray:
    """Per bin `searchsorted(edges, v, 'right')`: E[b-1] <= v < E[b], from the sorted values."""
    below = np.searchsorted(values, edges, side="left")  # values < E[b]
    counts: IntArray = np.diff(np.concatenate([[0], below, [len(values)]])).astype(np.int64)
    return counts


def _counts_by_value(summary: NumericSummary, union: FloatArray) -> IntArray:
    distinct, cumulative = summary.runs
    per_value = np.diff(np.concatenate([[0], cumulative]))
    counts = np.zeros(len(union), dtype=np.int64)
    counts[np.searchsorted(union, distinct)] = per_value
    return counts


def union_counts(reference: CategorySummary, current: CategorySummary) -> CategoryCounts:
    if reference.labels == current.labels:  # the usual case: no category new or gone
        return CategoryCounts(list(reference.labels), reference.counts, current.counts)
    ref, cur = reference.as_dict(), current.as_dict()
    categories = sorted(ref.keys() | cur.keys())
    return CategoryCounts(
        categories=categories,
        reference=np.array([ref.get(k, 0) for k in categories], dtype=np.int64),
        current=np.array([cur.get(k, 0) for k in categories], dtype=np.int64),
    )


def _listed(details: dict[str, Any], key: str, items: Any, ref: IntArray, cur: IntArray) -> None:
    if len(items) > MAX_LISTED_BINS:
        details["bins"] = len(items)
        details["bins_listed"] = False
        return
    details[key] = items.tolist() if isinstance(items, np.ndarray) else list(items)
    details["reference_counts"] = [int(n) for n in ref]
    details["current_counts"] = [int(n) for n in cur]


def quantile_bins(reference: NumericSummary, current_counts: IntArray) -> Bins:
    """Bins on the reference's quantile edges, given the current's counts on them."""
    edges = reference.quantile_edges
    ref_counts = counts_between(reference.values, edges)
    details = {
        "binning": "quantile",
        "edges": [float(e) for e in edges],
        "reference_counts": [int(n) for n in ref_counts],
        "current_counts": [int(n) for n in current_counts],
    }
    return Bins(ref_counts, current_counts, details)


def value_bins(reference: NumericSummary, current_values: FloatArray, current_counts: IntArray) -> Bins:
    """One bin per distinct value of either side, given the current's distinct values and counts."""
    union = np.union1d(reference.runs[0], current_values)
    ref_counts = _counts_by_value(reference, union)
    cur_counts = np.zeros(len(union), dtype=np.int64)
    cur_counts[np.searchsorted(union, current_values)] = current_counts
    details: dict[str, Any] = {"binning": "distinct"}
    _listed(details, "categories", union, ref_counts, cur_counts)
    return Bins(ref_counts, cur_counts, details)


def numeric_bins(reference: NumericSummary, current: NumericSummary) -> Bins:
    if reference.distinct > MAX_DISTINCT_FOR_VALUE_BINS:
        return quantile_bins(reference, counts_between(current.values, reference.quantile_edges))
    distinct, cumulative = current.runs
    return value_bins(reference, distinct, np.diff(np.concatenate([[0], cumulative])))


def category_bins(reference: CategorySummary, current: CategorySummary) -> Bins:
    counts = union_counts(reference, current)
    details: dict[str, Any] = {"binning": "distinct"}
    _listed(details, "categories", counts.categories, counts.reference, counts.current)
    return Bins(counts.reference, counts.current, details)
