"""What a caller asks of the drift engine. Mirrors the `drift:` block of a monitor's config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from monitor.drift.types import ColumnKind

AUTO = "auto"
LEARNED = "learned"
BENJAMINI_HOCHBERG = "benjamini-hochberg"
BENJAMINI_YEKUTIELI = "benjamini-yekutieli"
NO_CORRECTION = "none"
# The default: the p-value tests `auto` chose (at their default level) are judged under
# Benjamini-Yekutieli across the window's columns; anything configured by hand as it says.
CORRECTION_AUTO = "auto"
CORRECTIONS = (CORRECTION_AUTO, NO_CORRECTION, BENJAMINI_HOCHBERG, BENJAMINI_YEKUTIELI)
DEFAULT_TESTS: tuple[str, ...] = (AUTO,)
# The tests the product contract defines; what `tests: auto` was before it existed.
CONTRACT_TESTS: tuple[str, ...] = ("ks", "chi2", "psi")

# A threshold is a number, or "learned" from the reference (see learned.py).
Threshold = float | Literal["learned"]


@dataclass(frozen=True)
class LearnedOptions:
    """How `learned` thresholds are learned: the reference cut into `chunks` consecutive pieces, the
    statistic of each piece against the whole, threshold = mean + std_multiplier * std (NannyML's rule)."""

    chunks: int = 10
    std_multiplier: float = 3.0


@dataclass(frozen=True)
class MonteCarloOptions:
    """Monte Carlo p-values (chi2_mc): at most `resamples` random tables, stopping once `exceedances`
    of them reach the observed statistic (Besag & Clifford's sequential test); seeded, reproducible."""

    resamples: int = 99_999
    exceedances: int = 10
    seed: int = 0


@dataclass(frozen=True)
class MultivariateOptions:
    """Dataset-level drift (multivariate.py, classifier.py), each off unless asked for."""

    classifier: bool = False  # a domain classifier: can a model tell reference rows from current ones?
    reconstruction: bool = False  # PCA reconstruction error, as NannyML computes it
    max_rows: int = 5000  # rows of each side the classifier trains on (a seeded sample), and kept
    folds: int = 5
    auc_threshold: float = 0.55  # drifted when the AUC reaches it and its 95% interval is above 0.5
    variance: float = 0.65  # share of the variance the PCA keeps
    chunks: int = 10  # reference chunks the reconstruction error's thresholds are learned on
    std_multiplier: float = 3.0  # thresholds: mean -+ this many std of the chunks' errors
    seed: int = 0

    @property
    def enabled(self) -> bool:
        return self.classifier or self.reconstruction


@dataclass(frozen=True)
class ImportanceOptions:
    """Feature importances for the weighted drift share (importance.py): given, or estimated on the
    reference against its `target` column by `estimate` ("permutation" or "mutual_information")."""

    weights: Mapping[str, float] = field(default_factory=dict)
    estimate: str | None = None
    target: str | None = None
    seed: int = 0

    @property
    def enabled(self) -> bool:
        return bool(self.weights) or self.estimate is not None


@dataclass(frozen=True)
class ColumnOptions:
    kind: ColumnKind | None = None  # None: inferred from dtype and cardinality
    tests: tuple[str, ...] | None = None  # None: the monitor's tests
    thresholds: Mapping[str, Threshold] = field(default_factory=dict)


@dataclass(frozen=True)
class DriftOptions:
    tests: tuple[str, ...] = DEFAULT_TESTS  # each runs on the columns whose kind it accepts
    thresholds: Mapping[str, Threshold] = field(default_factory=dict)  # per test, monitor-wide
    columns: Mapping[str, ColumnOptions] = field(default_factory=dict)
    include: tuple[str, ...] | None = None  # None: every column both sides share
    drift_share: float = 0.5  # dataset drifted when this share of judged columns drifted
    # "auto": auto's p-value tests under Benjamini-Yekutieli; "benjamini-hochberg" or
    # "benjamini-yekutieli": every p-value test adjusted across all columns; "none" or None: none.
    correction: str | None = CORRECTION_AUTO
    # auto's p-values budget for the reference's own sampling error: with this probability the
    # reference is within the band allowed for (calibration.py); None: plain two-sample p-values.
    reference_band: float | None = 0.9
    monte_carlo: MonteCarloOptions = field(default_factory=MonteCarloOptions)
    multivariate: MultivariateOptions = field(default_factory=MultivariateOptions)
    importance: ImportanceOptions = field(default_factory=ImportanceOptions)
    learned: LearnedOptions = field(default_factory=LearnedOptions)
    # Columns computed in threads: None decides by size, False never, True always (when >1 column).
    parallel: bool | None = None

    def threshold_for(self, column: str, test: str, default: float) -> Threshold:
        col = self.columns.get(column)
        if col is not None and test in col.thresholds:
            return col.thresholds[test]
        return self.thresholds.get(test, default)

    def has_threshold(self, column: str, test: str) -> bool:
        """Whether a threshold for the test is set for this column or monitor-wide."""
        col = self.columns.get(column)
        return test in self.thresholds or (col is not None and test in col.thresholds)

    def fixed_threshold(self, column: str, test: str, default: float) -> float:
        """The threshold as a number: a learned one falls back to the test's default."""
        value = self.threshold_for(column, test, default)
        return default if value == LEARNED else float(value)

    def learned_tests(self, column: str) -> tuple[str, ...]:
        """Names of the tests whose threshold for this column is learned."""
        col = self.columns.get(column)
        names = dict.fromkeys([*self.thresholds, *(col.thresholds if col is not None else {})])
        return tuple(n for n in names if self.threshold_for(column, n, 0.0) == LEARNED)
