"""Chi-square test of homogeneity on the 2 x k table of category counts.

Exactly `scipy.stats.chi2_contingency(table, correction=False)`, where the k columns are the union of
the categories seen on either side, so a category new in the current window counts (it is what
drift looks like). With a single category in total (both sides constant on the same value) scipy
returns statistic 0 and p 1 with 0 degrees of freedom: nothing changed, and we report that as is.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from monitor.drift.base import Direction, DriftTest, TestOutcome, Values, counts_over
from monitor.drift.types import ColumnKind


class Chi2Test(DriftTest):
    name = "chi2"
    kinds = frozenset({ColumnKind.CATEGORICAL})
    default_threshold = 0.05
    direction = Direction.P_VALUE

    def compute(self, reference: Values, current: Values, kind: ColumnKind) -> TestOutcome:
        categories = np.unique(np.concatenate([reference, current]))
        reference_counts = counts_over(categories, reference)
        current_counts = counts_over(categories, current)
        result = stats.chi2_contingency(np.array([reference_counts, current_counts]), correction=False)
        return TestOutcome(
            statistic=float(result.statistic),
            p_value=float(result.pvalue),
            details={
                "categories": categories.tolist(),
                "reference_counts": reference_counts,
                "current_counts": current_counts,
                "dof": int(result.dof),
            },
        )
