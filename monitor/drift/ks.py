"""Two-sample Kolmogorov-Smirnov test, exactly `scipy.stats.ks_2samp(ref, cur)` (method "auto").

The statistic is the largest difference of the two empirical CDFs over the values of both samples.
From both samples' sorted values it is found by narrowing down to where it can be (narrowing.py),
else evaluated at every distinct value of both (pair.py, steps.py); either way the CDF values are
the same integer counts divided by the same sizes as in scipy, so the statistic, its location and
its sign are scipy's bit for bit. The p-value follows scipy's rules: the exact distribution when
both samples have at most 10,000 values (scipy's own exact routine), else Smirnov's asymptotic
`kstwo` distribution; when the exact computation fails scipy warns and falls back to the asymptotic
one, and so do we, keeping scipy's message in `details["warnings"]` rather than on stderr.

The effect size is the statistic itself: the largest gap between the two CDFs, in [0, 1].

From a compact current side (compact.py) the same computation runs on its exact merge (grid.py: the
same statistic, location and p-value, bit for bit) or on its KLL sketch (sketch.py: within the
sketch's error bound); `details` then say which (`computed_from`), the bound (`error_bound`), and for
a sketch the p-values at the statistic plus and minus the bound (`p_value_bounds`).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from scipy.stats import distributions
from scipy.stats._stats_py import _attempt_exact_2kssamp

from monitor.drift.base import Direction, DriftTest, TestOutcome
from monitor.drift.compact import Approximation
from monitor.drift.narrowing import narrowed_extremes
from monitor.drift.pair import ColumnPair
from monitor.drift.steps import FloatArray, Steps
from monitor.drift.summary import NumericSummary
from monitor.drift.types import ColumnKind

MAX_EXACT_N = 10_000  # scipy's MAX_AUTO_N: above it `method="auto"` is asymptotic
EXACT_FAILED = "ks_2samp: Exact calculation unsuccessful. Switching to method=asymp."


def ks_p_value(statistic: float, n1: int, n2: int) -> tuple[float, float, str, list[str]]:
    """(statistic, p-value, method, warnings) as scipy's ks_2samp computes them, two-sided.

    The exact method snaps the statistic to the lattice h / lcm(n1, n2) and returns it; so do we.
    Remembered: a monitor compares windows of similar sizes with one reference, and the statistic
    takes few distinct values (multiples of 1 / lcm(n1, n2)), so the same p-value is asked for again
    and again, and scipy's exact and small-sample computations take up to a millisecond."""
    statistic, p_value, method, warnings = _ks_p_value(statistic, n1, n2)
    return statistic, p_value, method, list(warnings)


@functools.lru_cache(maxsize=8192)
def _ks_p_value(statistic: float, n1: int, n2: int) -> tuple[float, float, str, tuple[str, ...]]:
    warnings: list[str] = []
    g = math.gcd(n1, n2)
    method = "exact" if max(n1, n2) <= MAX_EXACT_N else "asymp"
    prob = -np.inf
    if method == "exact":
        success, statistic, prob = _attempt_exact_2kssamp(n1, n2, g, statistic, "two-sided")
        if not success:
            method = "asymp"
            warnings.append(EXACT_FAILED)
    if method == "asymp":
        m, n = sorted([float(n1), float(n2)], reverse=True)
        en = m * n / (m + n)
        prob = distributions.kstwo.sf(statistic, np.round(en))
    return float(statistic), float(np.clip(prob, 0, 1)), method, tuple(warnings)


def _first_extreme(
    first: FloatArray, second: FloatArray, first_at: FloatArray, second_at: FloatArray, arg: Any
) -> tuple[float, float]:
    """(value, location) of the first maximum (np.argmax) or minimum (np.argmin) of first + second,
    as if they were concatenated, without concatenating them."""
    candidates = []
    for values, points in ((first, first_at), (second, second_at)):
        if len(values):
            i = int(arg(values))
            candidates.append((float(values[i]), float(points[i])))
    pick = max if arg is np.argmax else min
    best = pick(value for value, _ in candidates)
    return next(c for c in candidates if c[0] == best)  # the first part wins ties, as in scipy


def ks_extremes(steps: Steps, n1: int, n2: int) -> tuple[float, float, int]:
    """(statistic, location, sign) as scipy finds them: the largest |F_ref - F_cur| over the points."""
    # Evaluated at the reference's points, then the current's: scipy's order (it concatenates
    # reference then current), so the first largest difference is found at the same point.
    at_ref = steps.ref_at_ref / n1 - steps.cur_at_ref / n2
    at_cur = steps.ref_at_cur / n1 - steps.cur_at_cur / n2
    max_s, max_at = _first_extreme(at_ref, at_cur, steps.ref_points, steps.cur_points, np.argmax)
    min_diff, min_at = _first_extreme(at_ref, at_cur, steps.ref_points, steps.cur_points, np.argmin)
    min_s = float(np.clip(-min_diff, 0, 1))
    if min_s > max_s:
        return min_s, min_at, -1
    return max_s, max_at, 1


def approximation_details(approximation: Approximation, statistic: float, n1: int, n2: int) -> dict[str, Any]:
    """What a KS from a compact summary rests on: exact merge, or a sketch and its error bound, with
    the range of p-values the true statistic can have within it."""
    error = approximation.rank_error
    details: dict[str, Any] = {"computed_from": approximation.computed_from, "error_bound": error}
    if error > 0:
        low = ks_p_value(min(statistic + error, 1.0), n1, n2)[1]
        high = ks_p_value(max(statistic - error, 0.0), n1, n2)[1]
        details["p_value_bounds"] = [low, high]
    return details


class KSTest(DriftTest):
    name = "ks"
    kinds = frozenset({ColumnKind.NUMERICAL})
    default_threshold = 0.05
    direction = Direction.P_VALUE

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        ref, cur = pair.numeric_sides()
        n1, n2 = ref.count, cur.count
        # From both samples' values, narrowing finds the extremes without evaluating everywhere.
        narrowed = narrowed_extremes(ref.values, cur.values) if isinstance(cur, NumericSummary) else None
        d, location, sign = narrowed if narrowed is not None else ks_extremes(pair.steps, n1, n2)
        d, p_value, method, warnings = ks_p_value(d, n1, n2)
        details = {
            "reference_n": n1,
            "current_n": n2,
            # Where the two empirical CDFs are furthest apart, and which one is above there.
            "statistic_location": location,
            "statistic_sign": sign,
            "p_value_method": method,
            "effect_size_name": "ks_statistic",
            **pair.bins_details(),  # the decile bins, for charts: cheap on sorted values
        }
        if warnings:
            details["warnings"] = warnings
        if pair.approximation is not None:
            details.update(approximation_details(pair.approximation, d, n1, n2))
        return TestOutcome(statistic=d, p_value=p_value, details=details, effect_size=d)
