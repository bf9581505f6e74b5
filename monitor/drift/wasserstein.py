"""Wasserstein-1 distance divided by the reference's standard deviation.

W1 = integral of |F_ref(x) - F_cur(x)| dx, exactly `scipy.stats.wasserstein_distance(ref, cur)`,
computed from both samples' sorted summaries: the two empirical CDFs are step functions that only
change at the samples' distinct values, so the integral is a sum over the merged distinct values of
|F_ref - F_cur| times the gap to the next value. Divided by `np.std(ref)` (population standard
deviation, numpy's default) it reads as "how many reference standard deviations the distribution
moved": a shift of the mean by 0.5 std gives 0.5. Default threshold 0.1, as Evidently's
`wasserstein` (a tenth of a standard deviation).

A reference with no spread (std 0) has no unit to measure in: status `constant` (KS still judges it).
"""

from __future__ import annotations

import numpy as np

from monitor.drift.base import MIN_VALUES_DISTANCE, Direction, DriftTest, TestOutcome, Unjudgeable
from monitor.drift.pair import ColumnPair
from monitor.drift.types import ColumnKind, Status


def wasserstein_from_pair(pair: ColumnPair) -> float:
    ref, cur = pair.numeric()
    steps = pair.steps
    n_ref_points, n_cur_points = len(steps.ref_points), len(steps.cur_points)
    # Positions in the merged list of distinct values; a value on both sides appears twice, reference
    # first, with a gap of 0 between the two, so it adds nothing.
    ref_positions = np.arange(n_ref_points) + steps.cur_below_ref
    cur_positions = np.arange(n_cur_points) + steps.ref_upto_cur
    size = n_ref_points + n_cur_points
    points = np.empty(size)
    ref_counts = np.empty(size, dtype=np.int64)
    cur_counts = np.empty(size, dtype=np.int64)
    points[ref_positions], points[cur_positions] = steps.ref_points, steps.cur_points
    ref_counts[ref_positions], ref_counts[cur_positions] = steps.ref_at_ref, steps.ref_at_cur
    cur_counts[ref_positions], cur_counts[cur_positions] = steps.cur_at_ref, steps.cur_at_cur
    gaps = np.diff(points)
    cdf_gap = np.abs(ref_counts[:-1] / ref.count - cur_counts[:-1] / cur.count)
    return float(np.sum(np.multiply(cdf_gap, gaps)))


class WassersteinTest(DriftTest):
    name = "wasserstein"
    kinds = frozenset({ColumnKind.NUMERICAL})
    default_threshold = 0.1
    direction = Direction.DISTANCE
    min_values = MIN_VALUES_DISTANCE

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        ref, _ = pair.numeric()
        if ref.std == 0.0:
            raise Unjudgeable(Status.CONSTANT, "the reference is constant: no spread to normalise by")
        distance = wasserstein_from_pair(pair)
        value = distance / ref.std
        details = {"wasserstein_distance": distance, "reference_std": ref.std, **pair.bins.details}
        return TestOutcome(statistic=value, p_value=None, details=details, effect_size=value)
