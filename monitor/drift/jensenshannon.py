"""Jensen-Shannon distance between the bin shares of both sides, on PSI's bins (binning.py).

sqrt((KL(p || m) + KL(q || m)) / 2) with m = (p + q) / 2 and natural logarithms, exactly
`scipy.spatial.distance.jensenshannon(p, q)`: 0 for identical shares, at most sqrt(ln 2) ~ 0.833 for
disjoint ones. Empty bins need no 1e-4 as PSI's do: m is never 0 where p or q is not. Default
threshold 0.1, as Evidently's `jensenshannon`.
"""

from __future__ import annotations

from scipy.spatial import distance

from monitor.drift.base import MIN_VALUES_DISTANCE, Direction, DriftTest, TestOutcome
from monitor.drift.pair import ColumnPair
from monitor.drift.types import ColumnKind


class JensenShannonTest(DriftTest):
    name = "jensenshannon"
    kinds = frozenset({ColumnKind.NUMERICAL, ColumnKind.CATEGORICAL})
    default_threshold = 0.1
    direction = Direction.DISTANCE
    min_values = MIN_VALUES_DISTANCE

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        bins = pair.bins
        p = bins.reference_counts / bins.reference_counts.sum()
        q = bins.current_counts / bins.current_counts.sum()
        value = float(distance.jensenshannon(p, q))
        return TestOutcome(statistic=value, p_value=None, details=dict(bins.details), effect_size=value)
