"""Two-sample Kolmogorov-Smirnov test, exactly `scipy.stats.ks_2samp(ref, cur)`."""

from __future__ import annotations

from scipy import stats

from monitor.drift.base import Direction, DriftTest, TestOutcome, Values
from monitor.drift.types import ColumnKind


class KSTest(DriftTest):
    name = "ks"
    kinds = frozenset({ColumnKind.NUMERICAL})
    default_threshold = 0.05
    direction = Direction.P_VALUE

    def compute(self, reference: Values, current: Values, kind: ColumnKind) -> TestOutcome:
        result = stats.ks_2samp(reference, current)
        return TestOutcome(
            statistic=float(result.statistic),
            p_value=float(result.pvalue),
            details={
                "reference_n": len(reference),
                "current_n": len(current),
                # Where the two empirical CDFs are furthest apart, and which one is above there.
                "statistic_location": float(result.statistic_location),
                "statistic_sign": int(result.statistic_sign),
            },
        )
