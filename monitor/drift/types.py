"""Typed results of the drift engine: plain dataclasses, JSON-friendly, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ColumnKind(StrEnum):
    NUMERICAL = "numerical"
    CATEGORICAL = "categorical"
    SKIPPED = "skipped"


class Status(StrEnum):
    """Why a test could or could not be judged; anything but OK means drifted=False."""

    OK = "ok"
    INSUFFICIENT_DATA = "insufficient_data"
    CONSTANT = "constant"
    ALL_MISSING = "all_missing"
    MISSING_IN_REFERENCE = "missing_in_reference"
    MISSING_IN_CURRENT = "missing_in_current"
    EMPTY_CURRENT = "empty_current"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


@dataclass(frozen=True)
class TestResult:
    """One (column, test) verdict, the unit the contract's JSON lists."""

    __test__ = False  # not a pytest class

    column: str
    kind: ColumnKind
    test: str
    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool
    status: Status
    # What a chart or a later merge needs: bin edges, counts of both sides, category counts.
    details: dict[str, Any] = field(default_factory=dict)
    # How big the shift is, beside a p-value: the KS statistic, Cramér's V; a distance's own value.
    effect_size: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": str(self.kind),
            "test": self.test,
            "statistic": self.statistic,
            "p_value": self.p_value,
            # adjusted across the window's columns (correction.py), when it was; None otherwise
            "p_value_adjusted": self.details.get("p_value_adjusted"),
            "threshold": self.threshold,
            "drifted": self.drifted,
            "status": str(self.status),
            "effect_size": self.effect_size,
            # why it could not be judged (None when it was), and why `auto` chose this test
            "reason": None if self.status is Status.OK else self.details.get("reason"),
            "chosen_by": self.details.get("chosen_by"),
        }


@dataclass(frozen=True)
class ColumnQuality:
    """Data-quality facts of one column, reported beside the tests."""

    column: str
    kind: ColumnKind
    kind_reason: str
    reference_missing: int
    current_missing: int
    reference_count: int
    current_count: int
    new_categories: tuple[str, ...] = ()
    # One distinct non-missing value on that side (a fact to report, not by itself a reason to skip).
    reference_constant: bool = False
    current_constant: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": str(self.kind),
            "kind_reason": self.kind_reason,
            "reference_missing": self.reference_missing,
            "current_missing": self.current_missing,
            "reference_count": self.reference_count,
            "current_count": self.current_count,
            "new_categories": list(self.new_categories),
            "reference_constant": self.reference_constant,
            "current_constant": self.current_constant,
        }


@dataclass(frozen=True)
class DatasetTestResult:
    """A verdict on all columns together (multivariate.py, classifier.py): one per test and window."""

    __test__ = False  # not a pytest class

    test: str  # "domain_classifier" (statistic: ROC AUC) or "pca_reconstruction" (reconstruction error)
    statistic: float | None
    drifted: bool
    status: Status
    # Where the statistic counts as drift: AUC at least `upper` (and its interval above 0.5);
    # reconstruction error below `lower` or above `upper`.
    lower: float | None = None
    upper: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "statistic": self.statistic,
            "lower": self.lower,
            "upper": self.upper,
            "drifted": self.drifted,
            "status": str(self.status),
            "reason": None if self.status is Status.OK else self.details.get("reason"),
            "details": self.details,
        }


@dataclass(frozen=True)
class DatasetDrift:
    reference_rows: int
    current_rows: int
    results: tuple[TestResult, ...]
    columns: tuple[ColumnQuality, ...]
    drifted_columns: tuple[str, ...]
    drift_share: float
    dataset_drifted: bool
    # Multivariate verdicts, when asked for (options.multivariate).
    dataset_tests: tuple[DatasetTestResult, ...] = ()
    # Importance-weighted drift, when importances are known (importance.py).
    weighted: WeightedDrift | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "results": [r.to_dict() for r in self.results],
            "drift_share": self.drift_share,
            "dataset_drifted": self.dataset_drifted,
            "drifted_columns": list(self.drifted_columns),
            "columns": [c.to_dict() for c in self.columns],
            "dataset_tests": [t.to_dict() for t in self.dataset_tests],
            "weighted": self.weighted.to_dict() if self.weighted is not None else None,
        }


@dataclass(frozen=True)
class RankedFeature:
    column: str
    importance: float  # normalised: the importances of the judged columns sum to 1
    drift: float  # how far it drifted: 1 - its p-value (adjusted if corrected), or distance / threshold
    score: float  # importance x drift, what features are ranked by
    drifted: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "importance": self.importance,
            "drift": self.drift,
            "score": self.score,
            "drifted": self.drifted,
        }


@dataclass(frozen=True)
class WeightedDrift:
    """Drift share weighted by feature importance, and features ranked by importance x drift."""

    drift_share: float  # sum of the importances of the drifted judged columns
    source: str  # "config", "permutation", "mutual_information"
    ranked: tuple[RankedFeature, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "drift_share": self.drift_share,
            "source": self.source,
            "ranked": [f.to_dict() for f in self.ranked],
        }
