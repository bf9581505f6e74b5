"""What every drift test is: a name, the column kinds it accepts, a threshold and a direction.

A test computes on cleaned 1-D inputs: missing values are already dropped, numerical columns arrive
as float64 arrays and categorical ones as arrays of string labels. Deciding whether a column can be
judged at all (missing, empty, too few values) is the engine's job, not the test's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from monitor.drift.types import ColumnKind

# float64 values for numerical columns, str labels (object dtype) for categorical ones.
Values = npt.NDArray[Any]


class Direction(StrEnum):
    P_VALUE = "p_value"  # drifted when p < threshold
    DISTANCE = "distance"  # drifted when statistic >= threshold


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest class

    statistic: float
    p_value: float | None
    details: dict[str, Any] = field(default_factory=dict)  # JSON-able: lists, str, int, float


class DriftTest(ABC):
    name: ClassVar[str]
    kinds: ClassVar[frozenset[ColumnKind]]
    default_threshold: ClassVar[float]
    direction: ClassVar[Direction]

    @abstractmethod
    def compute(self, reference: Values, current: Values, kind: ColumnKind) -> TestOutcome:
        """Statistic of `current` against `reference`; both non-empty, already cleaned."""

    def accepts(self, kind: ColumnKind) -> bool:
        return kind in self.kinds

    def is_drifted(self, outcome: TestOutcome, threshold: float) -> bool:
        if self.direction is Direction.P_VALUE:
            return outcome.p_value is not None and outcome.p_value < threshold
        return outcome.statistic >= threshold


@dataclass(frozen=True)
class CategoryCounts:
    categories: list[Any]  # sorted union of both sides' distinct values
    reference: list[int]
    current: list[int]


def count_categories(reference: Values, current: Values) -> CategoryCounts:
    """Counts of both sides over the union of their distinct values (hashing: no sort of the rows)."""
    # dtype kept as is: pandas would otherwise convert object arrays of str to its string dtype first.
    reference_counts = pd.Series(reference, dtype=reference.dtype).value_counts(sort=False)
    current_counts = pd.Series(current, dtype=current.dtype).value_counts(sort=False)
    categories = sorted(set(reference_counts.index) | set(current_counts.index))
    return CategoryCounts(
        categories=[v.item() if isinstance(v, np.generic) else v for v in categories],
        reference=[int(n) for n in reference_counts.reindex(categories, fill_value=0)],
        current=[int(n) for n in current_counts.reindex(categories, fill_value=0)],
    )
