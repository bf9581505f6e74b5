"""Wasserstein-1 distance divided by the reference's standard deviation.

W1 = integral of |F_ref(x) - F_cur(x)| dx, exactly `scipy.stats.wasserstein_distance(ref, cur)`,
computed from both samples' sorted summaries: the two empirical CDFs are step functions that only
change at the samples' distinct values, so the integral is a sum over the merged distinct values of
|F_ref - F_cur| times the gap to the next value. Divided by `np.std(ref)` (population standard
deviation, numpy's default) it reads as "how many reference standard deviations the distribution
moved": a shift of the mean by 0.5 std gives 0.5. Default threshold 0.1, as Evidently's
`wasserstein` (a tenth of a standard deviation).

A reference with no spread (std 0) has no unit to measure in: status `constant` (KS still judges it).

From a compact current side (compact.py) W1 comes from its exact merge (grid.py: exact unless the two
CDFs cross between two reference values, where it is bounded) or its KLL sketch (sketch.py: within the
sketch's rank error times the current values' range); `details` say which (`computed_from`) and bound
the statistic's error (`error_bound`, in reference standard deviations like the statistic).
"""

from __future__ import annotations

from typing import Any

from monitor.drift.base import MIN_VALUES_DISTANCE, Direction, DriftTest, TestOutcome, Unjudgeable
from monitor.drift.compact import CompactNumericSummary, compact_wasserstein
from monitor.drift.pair import ColumnPair
from monitor.drift.steps import wasserstein_from_steps
from monitor.drift.types import ColumnKind, Status


def wasserstein_from_pair(pair: ColumnPair) -> float:
    ref, cur = pair.numeric()
    return wasserstein_from_steps(pair.steps, ref.count, cur.count)


class WassersteinTest(DriftTest):
    name = "wasserstein"
    kinds = frozenset({ColumnKind.NUMERICAL})
    default_threshold = 0.1
    direction = Direction.DISTANCE
    min_values = MIN_VALUES_DISTANCE

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        ref, cur = pair.numeric_sides()
        if ref.std == 0.0:
            raise Unjudgeable(Status.CONSTANT, "the reference is constant: no spread to normalise by")
        approximation = pair.approximation
        details: dict[str, Any] = {}
        if isinstance(cur, CompactNumericSummary) and approximation is not None:
            distance, bound = compact_wasserstein(ref, cur, pair.steps, approximation)
            details = {"computed_from": approximation.computed_from, "error_bound": bound / ref.std}
        else:
            distance = wasserstein_from_pair(pair)
        value = distance / ref.std
        details = {
            "wasserstein_distance": distance,
            "reference_std": ref.std,
            **pair.bins_details(),
            **details,
        }
        return TestOutcome(statistic=value, p_value=None, details=details, effect_size=value)
