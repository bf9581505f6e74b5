"""Chi-square test of homogeneity on the 2 x k table of category counts.

Exactly `scipy.stats.chi2_contingency(table, correction=False)` (computed here as scipy does, without
its per-call overhead: expected counts from the margins, Pearson's sum, the chi-square survival
function with k - 1 degrees of freedom), where the k columns are the union of
the categories seen on either side, so a category new in the current window counts (it is what
drift looks like). With a single category in total (both sides constant on the same value) scipy
returns statistic 0 and p 1 with 0 degrees of freedom: nothing changed, and we report that as is.

The effect size is Cramér's V, sqrt(chi2 / (n * (min(2, k) - 1))) with n all values of both sides:
0 when the two sides have the same shares, 1 when they share no category. Unlike the p-value it
does not grow with the sample size, so it says whether a significant shift is also a big one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from monitor.drift.base import Direction, DriftTest, TestOutcome
from monitor.drift.binning import CategoryCounts
from monitor.drift.pair import ColumnPair
from monitor.drift.types import ColumnKind

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Pearson:
    table: npt.NDArray[np.int64]  # 2 x k: reference counts, current counts
    expected: FloatArray
    statistic: float
    dof: int
    p_value: float  # asymptotic, chi-square with `dof` degrees of freedom


def pearson(counts: CategoryCounts) -> Pearson:
    """Pearson's chi-square of the 2 x k table, as scipy.stats.chi2_contingency(correction=False)."""
    table = np.array([counts.reference, counts.current])
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    expected = rows[:, np.newaxis] * columns[np.newaxis, :] / table.sum()
    dof = expected.size - sum(expected.shape) + expected.ndim - 1
    if dof == 0:  # one category in all: nothing can have moved (scipy's degenerate case)
        return Pearson(table, expected, 0.0, 0, 1.0)
    statistic = float(((table.astype(np.float64) - expected) ** 2 / expected).sum())
    return Pearson(table, expected, statistic, dof, float(special.chdtrc(dof, statistic)))


def chi2_details(counts: CategoryCounts, dof: int) -> dict[str, Any]:
    return {
        "categories": counts.categories,
        "reference_counts": [int(n) for n in counts.reference],
        "current_counts": [int(n) for n in counts.current],
        "dof": dof,
        "effect_size_name": "cramers_v",
    }


def cramers_v(statistic: float, total: int, categories: int) -> float:
    if categories < 2:
        return 0.0
    return math.sqrt(statistic / (total * (min(2, categories) - 1)))


class Chi2Test(DriftTest):
    name = "chi2"
    kinds = frozenset({ColumnKind.CATEGORICAL})
    default_threshold = 0.05
    direction = Direction.P_VALUE

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        counts = pair.categories
        result = pearson(counts)
        effect = cramers_v(result.statistic, int(result.table.sum()), len(counts.categories))
        return TestOutcome(
            statistic=result.statistic,
            p_value=result.p_value,
            details=chi2_details(counts, result.dof),
            effect_size=effect,
        )
