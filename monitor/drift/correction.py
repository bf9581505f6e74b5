"""False discoveries under control across a window's columns (`correction`).

Judging 100 columns at p < 0.05 each finds about 5 "drifted" columns in data that did not change. A
false discovery rate (FDR) procedure judges them together instead: of the columns called drifted, at
most a share alpha (the tests' threshold) is expected to be false alarms, and when nothing changed at
all, a window raises any alarm with probability at most alpha.

- Benjamini-Hochberg (`benjamini-hochberg`, Benjamini & Hochberg 1995): sort the m p-values
  ascending, p_(i) * m / i, the running minimum from the largest down, capped at 1 (statsmodels'
  `fdr_bh`). Proven for independent p-values, or positively dependent ones (PRDS).
- Benjamini-Yekutieli (`benjamini-yekutieli`, Benjamini & Yekutieli 2001): the same times
  c(m) = 1 + 1/2 + ... + 1/m (5.19 for 100 columns), capped at 1 (statsmodels' `fdr_by`). Valid
  under any dependence between the p-values.

`correction: auto` (the default) puts the p-value tests that `tests: auto` chose, at their default
level, under Benjamini-Yekutieli: a window's columns are measured on the same rows and compared with a
reference made of the same rows, so their p-values are dependent, and not in a way known to be
positive (correlated features, categories that share rows, two-sided tests). Tests configured by name
or given a threshold by hand keep their own level. `benjamini-hochberg` or `benjamini-yekutieli` set
explicitly cover every p-value test of every column (not learned thresholds, which are judged on an
effect size). A test is then drifted when its adjusted p-value is below its threshold; with one
threshold for all this is exactly the procedure at that level. The raw p-value stays in `p_value`;
`details.p_value_calibrated` (auto's, calibration.py) is what is adjusted when present.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from monitor.drift.base import Direction
from monitor.drift.options import (
    BENJAMINI_YEKUTIELI,
    CORRECTION_AUTO,
    NO_CORRECTION,
    DriftOptions,
)
from monitor.drift.registry import get_test
from monitor.drift.types import Status, TestResult

FloatArray = npt.NDArray[np.float64]


def _step_up(p_values: Sequence[float], factor: float) -> FloatArray:
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m * factor / np.arange(1, m + 1)
    adjusted_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    return adjusted


def benjamini_hochberg(p_values: Sequence[float]) -> FloatArray:
    return _step_up(p_values, 1.0)


def harmonic(m: int) -> float:
    """c(m) = 1 + 1/2 + ... + 1/m."""
    return float(np.sum(1.0 / np.arange(1, m + 1))) if m > 0 else 1.0


def benjamini_yekutieli(p_values: Sequence[float]) -> FloatArray:
    return _step_up(p_values, harmonic(len(p_values)))


def judged_p_value(result: TestResult) -> float | None:
    """The p-value a result is judged on before any correction: auto's calibrated one, else the raw."""
    calibrated = result.details.get("p_value_calibrated")
    return float(calibrated) if calibrated is not None else result.p_value


def in_auto_family(result: TestResult) -> bool:
    """A p-value test `auto` chose and that keeps its default threshold."""
    return "chosen_by" in result.details and result.details.get("threshold_source") == "default"


def _p_value_test(result: TestResult) -> bool:
    return (
        result.status is Status.OK
        and result.p_value is not None
        and get_test(result.test).direction is Direction.P_VALUE
        and result.details.get("threshold_source") != "learned"
    )


def family(results: Sequence[TestResult], options: DriftOptions) -> tuple[str | None, list[int]]:
    """(procedure, indices of the results it adjusts together) for these options."""
    correction = options.correction
    if correction is None or correction == NO_CORRECTION:
        return None, []
    if correction == CORRECTION_AUTO:
        members = [i for i, r in enumerate(results) if _p_value_test(r) and in_auto_family(r)]
        return BENJAMINI_YEKUTIELI, members
    return correction, [i for i, r in enumerate(results) if _p_value_test(r)]


def apply_correction(results: list[TestResult], options: DriftOptions) -> list[TestResult]:
    procedure, members = family(results, options)
    if procedure is None or not members:
        return results
    p_values = [judged_p_value(results[i]) or 0.0 for i in members]
    adjust = benjamini_yekutieli if procedure == BENJAMINI_YEKUTIELI else benjamini_hochberg
    corrected = list(results)
    for i, p in zip(members, adjust(p_values), strict=True):
        r = results[i]
        details = {
            **r.details,
            "p_value_adjusted": float(p),
            "correction": procedure,
            "tests_in_family": len(members),
        }
        corrected[i] = replace(r, drifted=bool(p < r.threshold), details=details)
    return corrected
