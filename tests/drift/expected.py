"""Independent, plainly written computations the drift tests compare the engine with.

Nothing here calls monitor code: each quantity is written out from its definition (the spec's bins,
the textbook formulas) with Python loops where that makes it easier to read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def expected_bins(reference: Sequence, current: Sequence, numerical: bool) -> tuple[list[int], list[int]]:
    """The spec's PSI bins: quantile bins for numerical with > 10 distinct values, else one per value."""
    if numerical and len(set(reference)) > 10:
        edges = np.unique(np.quantile(reference, DECILES))
        n_bins = len(edges) + 1
        ref_counts, cur_counts = [0] * n_bins, [0] * n_bins
        for v in reference:
            ref_counts[int(np.searchsorted(edges, v, side="right"))] += 1
        for v in current:
            cur_counts[int(np.searchsorted(edges, v, side="right"))] += 1
        return ref_counts, cur_counts
    union = sorted(set(reference) | set(current))
    return [list(reference).count(c) for c in union], [list(current).count(c) for c in union]


def expected_psi(reference: Sequence, current: Sequence, numerical: bool) -> float:
    ref_counts, cur_counts = expected_bins(reference, current, numerical)
    total = 0.0
    for ref_n, cur_n in zip(ref_counts, cur_counts, strict=True):
        r = ref_n / len(reference) or 1e-4
        c = cur_n / len(current) or 1e-4
        total += (c - r) * math.log(c / r)
    return total


def expected_jensenshannon(reference: Sequence, current: Sequence, numerical: bool) -> float:
    """sqrt((KL(p||m) + KL(q||m)) / 2), m = (p + q) / 2, natural logarithms, 0 log 0 = 0."""
    ref_counts, cur_counts = expected_bins(reference, current, numerical)
    divergence = 0.0
    for ref_n, cur_n in zip(ref_counts, cur_counts, strict=True):
        p, q = ref_n / len(reference), cur_n / len(current)
        m = (p + q) / 2
        if p > 0:
            divergence += p * math.log(p / m) / 2
        if q > 0:
            divergence += q * math.log(q / m) / 2
    return math.sqrt(divergence)


def expected_hellinger(reference: Sequence, current: Sequence, numerical: bool) -> float:
    """sqrt(sum((sqrt p - sqrt q)^2) / 2)."""
    ref_counts, cur_counts = expected_bins(reference, current, numerical)
    total = 0.0
    for ref_n, cur_n in zip(ref_counts, cur_counts, strict=True):
        total += (math.sqrt(ref_n / len(reference)) - math.sqrt(cur_n / len(current))) ** 2
    return math.sqrt(total / 2)


def close(actual: float | None, expected: float) -> bool:
    """Agreement to 1e-9, absolute or relative."""
    return actual is not None and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
