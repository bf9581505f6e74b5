"""Benjamini-Hochberg correction of p-values across columns (optional: `correction: benjamini-hochberg`).

Judging 50 columns at p < 0.05 each finds about 2.5 drifted columns in data that did not change. The
BH step-up procedure controls the false discovery rate instead: of the columns called drifted, at most
a share alpha is expected to be false alarms. Adjusted p-values: sort p ascending, p_(i) * m / i,
then the running minimum from the largest down, capped at 1 (as statsmodels' `fdr_bh`). A test is
then drifted when its adjusted p-value is below its threshold; with one threshold for all this is
exactly the BH procedure at that level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from monitor.drift.base import Direction
from monitor.drift.options import BENJAMINI_HOCHBERG, DriftOptions
from monitor.drift.registry import get_test
from monitor.drift.types import Status, TestResult


def benjamini_hochberg(p_values: Sequence[float]) -> npt.NDArray[np.float64]:
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    return adjusted


def apply_correction(results: list[TestResult], options: DriftOptions) -> list[TestResult]:
    """Benjamini-Hochberg across the `ok` p-value results judged on their p-value (not learned)."""
    if options.correction != BENJAMINI_HOCHBERG:
        return results
    family = [
        i
        for i, r in enumerate(results)
        if r.status is Status.OK
        and r.p_value is not None
        and get_test(r.test).direction is Direction.P_VALUE
        and r.details.get("threshold_source") != "learned"
    ]
    adjusted = benjamini_hochberg([results[i].p_value or 0.0 for i in family])
    corrected = list(results)
    for i, p in zip(family, adjusted, strict=True):
        r = results[i]
        details = {
            **r.details,
            "p_value_adjusted": float(p),
            "correction": BENJAMINI_HOCHBERG,
            "tests_in_family": len(family),
        }
        corrected[i] = replace(r, drifted=bool(p < r.threshold), details=details)
    return corrected
