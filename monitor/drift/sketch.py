"""KS and Wasserstein against a reference with too many distinct values for an exact merge (grid.py):
the current side as an Apache DataSketches KLL quantile sketch.

A KLL sketch keeps a weighted sample of the values; its CDF at x is the weight of the kept items <= x
over n (the items' weights sum to n exactly), and DataSketches bounds the largest error of that CDF
over all x by the sketch's normalized rank error (`kll_doubles_sketch.get_normalized_rank_error(k,
False)`, single-sided, its fit to the 99th percentile of the largest error measured in many trials;
for k = SKETCH_K = 4096 it is 0.07%). Merged sketches keep the bound. Only the current side is
approximated (the reference is exact: its profile's sorted values), so:
- KS: the largest difference of F_ref and the sketch's CDF, over the points where either steps, is
  within that error of the largest difference of F_ref and F_cur: |D_est - D| <= error.
- Wasserstein: integral of |F_ref - F_sketch| differs from W1 by at most the integral of
  |F_sketch - F_cur|, which is zero outside [min, max] of the current values (the sketch keeps both
  exactly) and at most the error inside: |W_est - W1| <= error * (max - min).
While it holds fewer values than it can keep (n < about k) the sketch is the values themselves and
both are exact (error 0).

The sketch travels as its serialised bytes (what pickles and merges across processes); datasketches
is imported only here and only when a sketch is made or read (the `dask` extra installs it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from monitor.drift.steps import FloatArray, IntArray

SKETCH_K = 4096


def _kll() -> Any:
    try:
        from datasketches import kll_doubles_sketch
    except ImportError as exc:  # pragma: no cover - the dask extra installs it
        raise ImportError(
            f"summarising against a reference with this many distinct values needs datasketches "
            f"(pip install 'model-monitor[dask]'): {exc}"
        ) from None
    return kll_doubles_sketch


def sketch_of(values: FloatArray, k: int) -> bytes:
    """The serialised KLL sketch (parameter k) of finite values."""
    sketch = _kll()(k)
    if len(values):
        sketch.update(np.ascontiguousarray(values, dtype=np.float64))
    data: bytes = sketch.serialize()
    return data


def merge_sketches(first: bytes, second: bytes) -> bytes:
    kll = _kll()
    sketch = kll.deserialize(first)
    sketch.merge(kll.deserialize(second))
    data: bytes = sketch.serialize()
    return data


def rank_error(data: bytes) -> float:
    """The bound on sup |F_sketch - F_cur|: 0 while the sketch holds every value."""
    sketch = _kll().deserialize(data)
    return float(sketch.normalized_rank_error(False)) if sketch.is_estimation_mode() else 0.0


def sketch_runs(data: bytes) -> tuple[FloatArray, IntArray]:
    """The sketch's distinct items ascending, and the weight of items <= each (its CDF times n)."""
    sketch = _kll().deserialize(data)
    if sketch.is_empty():
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    # The items by iterating (a few thousand at most); their weights from the CDF, not from the
    # iterator: datasketches 5.2's Python iterator reports weight 1 for every item of some merged
    # sketches, while get_cdf, its documented query, is right.
    items = np.unique(np.array([item for item, _ in sketch], dtype=np.float64))
    ranks = np.array(sketch.get_cdf(items.tolist(), inclusive=True)[:-1], dtype=np.float64)
    # Ranks are weights over n, and n < 2**53: rounding gives the integer weights back exactly.
    cumulative = np.rint(ranks * sketch.n).astype(np.int64)
    return items, cumulative


def sketch_quantiles(data: bytes, ranks: Sequence[float]) -> tuple[list[float], float]:
    """The values at `ranks` (0 to 1) of the sketched values, and the bound on how far each one's
    rank may be from the one asked for, as a share of n. While the sketch holds every value (error
    0) they are np.quantile's (linear interpolation) of the values themselves; past that, values the
    sketch kept, at a rank within the sketch's rank error. No value: empty."""
    error = rank_error(data)
    if error == 0:
        items, cumulative = sketch_runs(data)
        if not len(items):
            return [], 0.0
        values = np.repeat(items, np.diff(cumulative, prepend=0))
        return [float(v) for v in np.quantile(values, list(ranks))], 0.0
    sketch = _kll().deserialize(data)
    return [float(sketch.get_quantile(r, True)) for r in ranks], error
