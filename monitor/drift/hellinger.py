"""Hellinger distance between the bin shares of both sides, on PSI's bins (binning.py).

H = sqrt(sum((sqrt(p) - sqrt(q))^2) / 2): 0 for identical shares, 1 for disjoint ones. Written in
this form rather than sqrt(1 - sum(sqrt(p q))), which loses all precision for small distances
(1 minus a number close to 1). Default threshold 0.1, as Evidently's `hellinger`.
"""

from __future__ import annotations

import math

import numpy as np

from monitor.drift.base import MIN_VALUES_DISTANCE, Direction, DriftTest, TestOutcome
from monitor.drift.pair import ColumnPair
from monitor.drift.types import ColumnKind


class HellingerTest(DriftTest):
    name = "hellinger"
    kinds = frozenset({ColumnKind.NUMERICAL, ColumnKind.CATEGORICAL})
    default_threshold = 0.1
    direction = Direction.DISTANCE
    min_values = MIN_VALUES_DISTANCE

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        bins = pair.bins
        p = bins.reference_counts / bins.reference_counts.sum()
        q = bins.current_counts / bins.current_counts.sum()
        value = math.sqrt(float(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)) / 2)
        return TestOutcome(statistic=value, p_value=None, details=dict(bins.details), effect_size=value)
