"""Population Stability Index: sum over bins of (c - r) * ln(c / r), r and c the bin shares.

A share of 0 is replaced by 1e-4 before the formula (the spec's rule; the shares then no longer sum
to exactly 1, which is what the spec asks for). Every term is >= 0, because c - r and ln(c / r)
always have the same sign, so PSI is never negative; identical samples give exactly 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitor.drift.base import MIN_VALUES_DISTANCE, Direction, DriftTest, TestOutcome, Values
from monitor.drift.pair import ColumnPair
from monitor.drift.types import ColumnKind

EMPTY_SHARE = 1e-4


def shares(counts: Sequence[int] | Values) -> Values:
    counts = np.asarray(counts, dtype=np.float64)
    share = counts / counts.sum()
    return np.where(share == 0.0, EMPTY_SHARE, share)


def psi_from_counts(
    reference_counts: Sequence[int] | Values, current_counts: Sequence[int] | Values
) -> float:
    r = shares(reference_counts)
    c = shares(current_counts)
    return float(np.sum((c - r) * np.log(c / r)))


class PSITest(DriftTest):
    name = "psi"
    kinds = frozenset({ColumnKind.NUMERICAL, ColumnKind.CATEGORICAL})
    default_threshold = 0.2
    direction = Direction.DISTANCE
    min_values = MIN_VALUES_DISTANCE

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        bins = pair.bins
        value = psi_from_counts(bins.reference_counts, bins.current_counts)
        return TestOutcome(statistic=value, p_value=None, details=dict(bins.details), effect_size=value)
