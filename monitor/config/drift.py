"""Which drift tests judge a monitor's columns, and their thresholds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from monitor.config._base import _Strict

# A threshold is a number, or "learned" from the reference's own variation (monitor/drift/learned.py).
ThresholdSetting = float | Literal["learned"]


def _check_test_names(names: list[str], *, thresholds: bool = False) -> list[str]:
    from monitor.drift.registry import is_known, known_tests  # the drift package is pure and light

    # `auto` picks a test; thresholds belong to the tests it picks (ks, wasserstein, ...).
    unknown = [name for name in names if not is_known(name) or (thresholds and name == "auto")]
    if unknown:
        known = ", ".join((*known_tests(), "auto", "evidently:<name>"))
        raise ValueError(f"unknown drift test(s) {', '.join(unknown)}; known: {known}")
    return names


class ColumnDriftConfig(_Strict):
    kind: Literal["numerical", "categorical", "skipped"] | None = None
    tests: list[str] | None = None
    thresholds: dict[str, ThresholdSetting] = Field(default_factory=dict)

    @field_validator("tests")
    @classmethod
    def _known_tests(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_test_names(value)

    @field_validator("thresholds")
    @classmethod
    def _known_threshold_tests(cls, value: dict[str, ThresholdSetting]) -> dict[str, ThresholdSetting]:
        _check_test_names(list(value), thresholds=True)
        return value


class LearnedThresholdConfig(_Strict):
    """How `learned` thresholds are set: the reference cut into `chunks` consecutive pieces, each
    compared with the whole; threshold = mean + std_multiplier * std of those values (as NannyML)."""

    chunks: int = Field(10, ge=2)
    std_multiplier: float = Field(3.0, ge=0)


class MonteCarloConfig(_Strict):
    """Monte Carlo p-values (chi2_mc, which `auto` picks for small samples): up to `resamples` random
    tables, stopping after `exceedances` reach the observed statistic; seeded, so reproducible."""

    resamples: int = Field(99_999, ge=99, le=1_000_000)
    exceedances: int = Field(10, ge=1)
    seed: int = Field(0, ge=0)


class MultivariateConfig(_Strict):
    """Dataset-level drift (docs/drift.md): a domain classifier and PCA reconstruction error, each
    off unless switched on."""

    classifier: bool = False
    reconstruction: bool = False
    max_rows: int = Field(5000, ge=20)
    folds: int = Field(5, ge=2, le=20)
    auc_threshold: float = Field(0.55, ge=0.5, le=1)
    variance: float = Field(0.65, gt=0, lt=1)
    chunks: int = Field(10, ge=2)
    std_multiplier: float = Field(3.0, ge=0)
    seed: int = Field(0, ge=0)


class ImportanceEstimateConfig(_Strict):
    """Feature importances estimated on the labelled reference against its `target` column."""

    estimate: Literal["mutual_information", "permutation"]
    target: str
    seed: int = Field(0, ge=0)


class DriftConfig(_Strict):
    # `auto` picks a test per column by kind and sample size (see docs/drift.md).
    tests: list[str] = Field(default_factory=lambda: ["auto"])
    thresholds: dict[str, ThresholdSetting] = Field(default_factory=dict)
    columns: dict[str, ColumnDriftConfig] = Field(default_factory=dict)
    drift_share: float = Field(0.5, gt=0, le=1)
    # auto: the p-value tests `auto` chose (default level) under Benjamini-Yekutieli across the
    # window's columns; benjamini-hochberg / benjamini-yekutieli: every p-value test; none: each alone.
    correction: Literal["auto", "none", "benjamini-hochberg", "benjamini-yekutieli"] = "auto"
    # auto's p-values allow for the reference's own sampling error with this confidence; null: off.
    reference_band: float | None = Field(0.9, gt=0, lt=1)
    monte_carlo: MonteCarloConfig = Field(default_factory=MonteCarloConfig)
    multivariate: MultivariateConfig = Field(default_factory=MultivariateConfig)
    # {column: weight}, or {estimate: mutual_information | permutation, target: COLUMN}.
    importance: ImportanceEstimateConfig | dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict
    )
    learned: LearnedThresholdConfig = Field(default_factory=LearnedThresholdConfig)

    @field_validator("tests")
    @classmethod
    def _known_tests(cls, value: list[str]) -> list[str]:
        return _check_test_names(value)

    @field_validator("thresholds")
    @classmethod
    def _known_threshold_tests(cls, value: dict[str, ThresholdSetting]) -> dict[str, ThresholdSetting]:
        _check_test_names(list(value), thresholds=True)
        return value
