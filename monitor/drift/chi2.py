"""Chi-square test of homogeneity on the 2 x k table of category counts.

Exactly `scipy.stats.chi2_contingency(table, correction=False)`, where the k columns are the union of
the categories seen on either side, so a category new in the current window counts (it is what
drift looks like). With a single category in total (both sides constant on the same value) scipy
returns statistic 0 and p 1 with 0 degrees of freedom: nothing changed, and we report that as is.

The effect size is Cramér's V, sqrt(chi2 / (n * (min(2, k) - 1))) with n all values of both sides:
0 when the two sides have the same shares, 1 when they share no category. Unlike the p-value it
does not grow with the sample size, so it says whether a significant shift is also a big one.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from monitor.drift.base import Direction, DriftTest, TestOutcome
from monitor.drift.pair import ColumnPair
from monitor.drift.types import ColumnKind


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
        table = np.array([counts.reference, counts.current])
        result = stats.chi2_contingency(table, correction=False)
        statistic = float(result.statistic)
        effect = cramers_v(statistic, int(table.sum()), len(counts.categories))
        return TestOutcome(
            statistic=statistic,
            p_value=float(result.pvalue),
            details={
                "categories": counts.categories,
                "reference_counts": [int(n) for n in counts.reference],
                "current_counts": [int(n) for n in counts.current],
                "dof": int(result.dof),
                "effect_size_name": "cramers_v",
            },
            effect_size=effect,
        )
