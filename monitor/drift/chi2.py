"""Chi-square test of homogeneity on the 2 x k table of category counts.

Exactly `scipy.stats.chi2_contingency(table, correction=False)`, where the k columns are the union of
the categories seen on either side, so a category new in the current window counts (it is what
drift looks like). With a single category in total (both sides constant on the same value) scipy
returns statistic 0 and p 1 with 0 degrees of freedom: nothing changed, and we report that as is.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from monitor.drift.base import Direction, DriftTest, TestOutcome, Values, count_categories
from monitor.drift.types import ColumnKind


class Chi2Test(DriftTest):
    name = "chi2"
    kinds = frozenset({ColumnKind.CATEGORICAL})
    default_threshold = 0.05
    direction = Direction.P_VALUE

    def compute(self, reference: Values, current: Values, kind: ColumnKind) -> TestOutcome:
        counts = count_categories(reference, current)
        result = stats.chi2_contingency(np.array([counts.reference, counts.current]), correction=False)
        return TestOutcome(
            statistic=float(result.statistic),
            p_value=float(result.pvalue),
            details={
                "categories": counts.categories,
                "reference_counts": counts.reference,
                "current_counts": counts.current,
                "dof": int(result.dof),
            },
        )
