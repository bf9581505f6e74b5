"""What every drift test is: a name, the column kinds it accepts, a threshold, a direction, a minimum.

A test compares a ColumnPair: the reference's summary (from the stored profile) and the current
window's summary of one column (see summary.py and pair.py); missing values are already dropped and
counted. Deciding whether a column can be judged at all (missing, empty, too few values) is the
engine's job; a test that finds it cannot judge what it was given raises Unjudgeable with a status.

Minimum sample sizes (values per side, missing ones not counted), below which the result is
`insufficient_data` rather than a verdict:
- p-value tests: MIN_VALUES_P_VALUE (2). Their p-value already accounts for the sample size: a
  handful of values simply cannot reach significance, so a small sample never cries wolf.
- distance tests (PSI, Wasserstein, Jensen-Shannon, Hellinger): MIN_VALUES_DISTANCE (100). A distance
  between two small samples is mostly sampling noise (two samples of 30 from one normal distribution
  are on average 0.33 standard deviations apart in Wasserstein terms, over three times the threshold),
  so below 100 values a distance is not reported at all. `tests: auto` picks a p-value test well
  before this matters (see auto.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

import numpy.typing as npt

from monitor.drift.types import ColumnKind, Status

if TYPE_CHECKING:
    from monitor.drift.options import DriftOptions
    from monitor.drift.pair import ColumnPair

# float64 values for numerical columns, str labels (object dtype) for categorical ones.
Values = npt.NDArray[Any]

MIN_VALUES_P_VALUE = 2
MIN_VALUES_DISTANCE = 100


class Direction(StrEnum):
    P_VALUE = "p_value"  # drifted when p < threshold
    DISTANCE = "distance"  # drifted when statistic >= threshold


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest class

    statistic: float
    p_value: float | None
    details: dict[str, Any] = field(default_factory=dict)  # JSON-able: lists, str, int, float
    # How big the shift is: the KS statistic, Cramér's V; a distance is its own effect size.
    effect_size: float | None = None
    # Set only by tests that judge themselves (Evidently's); None: judged by direction and threshold.
    verdict: bool | None = None


class Unjudgeable(Exception):
    """Raised by a test that cannot judge this pair, e.g. a distance normalised by a zero spread."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class DriftTest(ABC):
    name: ClassVar[str]
    kinds: ClassVar[frozenset[ColumnKind]]
    default_threshold: ClassVar[float]
    direction: ClassVar[Direction]
    min_values: ClassVar[int] = MIN_VALUES_P_VALUE
    # What a `learned` threshold is learned on and compared with: the effect size of p-value tests
    # (a p-value of reference chunks has no useful spread), the statistic of distances.
    learnable: ClassVar[bool] = True

    @abstractmethod
    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        """Statistic of the pair's current side against its reference side; both have >= min_values."""

    def configured(self, options: DriftOptions) -> DriftTest:
        """This test as the options set it up (a Monte Carlo test takes its resamples and seed)."""
        return self

    def compute(
        self, reference: Values, current: Values, kind: ColumnKind, threshold: float | None = None
    ) -> TestOutcome:
        """The test on two arrays of cleaned values (a convenience: the engine works on summaries)."""
        from monitor.drift.pair import ColumnPair
        from monitor.drift.summary import summarise_values

        pair = ColumnPair(summarise_values(reference, kind), summarise_values(current, kind))
        return self.compare(pair, self.default_threshold if threshold is None else threshold)

    def accepts(self, kind: ColumnKind) -> bool:
        return kind in self.kinds

    def is_drifted(self, outcome: TestOutcome, threshold: float) -> bool:
        if outcome.verdict is not None:
            return outcome.verdict
        if self.direction is Direction.P_VALUE:
            return outcome.p_value is not None and outcome.p_value < threshold
        return outcome.statistic >= threshold

    def learned_value(self, outcome: TestOutcome) -> float | None:
        """The number a learned threshold is about (see `learnable`)."""
        if self.direction is Direction.P_VALUE:
            return outcome.effect_size
        return outcome.statistic
