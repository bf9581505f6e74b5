"""auto's p-values budget for the reference's own sampling error (`reference_band`, default 0.9).

The problem. A two-sample p-value is exact over repeated draws of *both* samples. A monitor draws its
reference once and compares every window with it, so what a user lives with is the false-alarm rate
*given that reference*: a column whose reference sample happens to sit off its population's shape is
flagged again and again (measured: 0.3% to 15.6% of windows per column at a 5% level), another almost
never. The reference's deviation cannot be seen from the reference alone, but its size can be bounded:

- Numerical (ks). By the Dvoretzky-Kiefer-Wolfowitz inequality with Massart's constant (Massart 1990,
  Ann. Probab. 18: P(sup|F_n - F| > e) <= 2 exp(-2 n e^2), for every n and every distribution), the
  reference's empirical CDF is within d = sqrt(ln(2 / (1 - confidence)) / (2 n_ref)) of its
  population's CDF with probability at least `confidence`. A window drawn from that population is at
  KS distance D from the reference only if it is at least D - d from the population, so
  p = min(1, 2 exp(-2 n_cur max(D - d, 0)^2)) bounds its false-alarm rate for every reference inside
  the band: a bound, slightly conservative, valid for ties as well.
- Categorical (chi2, chi2_mc, fisher, chi2_levels). In the normal approximation the chi-square statistic is
  |sqrt(l) A + sqrt(1 - l) B|^2 with A, B independent standard normal vectors of k - 1 dimensions,
  A the reference's deviation, B the window's, and l = n_cur / (n_ref + n_cur) the reference's share
  of the noise; |A|^2 (the reference's own chi-square against its population) is below
  q = chi2.ppf(confidence, k - 1) with probability `confidence`. Given A, X^2 / (1 - l) is noncentral
  chi-square with k - 1 degrees of freedom and noncentrality l |A|^2 / (1 - l), largest at the band's
  edge, so p = ncx2.sf(x / (1 - l), k - 1, l q / (1 - l)), x the statistic (for the exact and Monte
  Carlo tests, the chi-square quantile of their p-value). chi2_levels with an asymptotic p-value
  calibrates its two parts so, the whole table with k - 1 degrees of freedom and its largest level
  statistic with 1, and combines them as it combines the raw ones; with a Monte Carlo p-value, as the
  other Monte Carlo tests.

The calibrated p-value is the larger of this one and the plain two-sample p-value, so it is valid both
ways: over references (as the two-sample test) and given the reference, for the share `confidence` of
columns whose reference is within its band (the idea of guaranteed conditional performance of control
charts with estimated parameters: Gandy & Kvaloy 2013, Scand. J. Statist. 40). When the reference is
much larger than the window (l near 0) it changes next to nothing; when they are of similar size it
is what keeps a column from crying wolf window after window.
"""

from __future__ import annotations

import math
from typing import Any

from scipy import special
from scipy.special import _ufuncs  # scipy.stats.ncx2.sf is this ufunc behind per-call overhead

from monitor.drift.base import TestOutcome
from monitor.drift.levels import combined

KS_TESTS = frozenset({"ks"})
CHI2_TESTS = frozenset({"chi2", "chi2_mc", "fisher", "chi2_levels"})


def reference_share(n_reference: int, n_current: int) -> float:
    """l: the reference's share of the two-sample statistic's noise variance."""
    return n_current / (n_reference + n_current)


def dkw(n: int, probability: float) -> float:
    """e with P(sup|F_n - F| > e) <= probability (Dvoretzky-Kiefer-Wolfowitz-Massart)."""
    return math.sqrt(math.log(2 / probability) / (2 * n))


def ks_band(statistic: float, n_reference: int, n_current: int, confidence: float) -> tuple[float, float]:
    """(p-value bound, band half-width d)."""
    band = dkw(n_reference, 1 - confidence)
    beyond = max(statistic - band, 0.0)
    return min(1.0, 2 * math.exp(-2 * n_current * beyond**2)), band


def chi2_band(
    statistic: float, dof: int, n_reference: int, n_current: int, confidence: float
) -> tuple[float, float]:
    """(p-value bound, the reference's chi-square at the band's edge)."""
    if dof < 1:
        return 1.0, 0.0
    share = reference_share(n_reference, n_current)
    edge = float(special.chdtri(dof, 1.0 - confidence))
    p = _ufuncs._ncx2_sf(statistic / (1.0 - share), dof, share * edge / (1.0 - share))
    return float(p), edge


def calibrated_p_value(
    test: str, outcome: TestOutcome, n_reference: int, n_current: int, confidence: float
) -> tuple[float, dict[str, Any]] | None:
    """(calibrated p-value, what it rests on) for the tests above; None for any other test."""
    raw = outcome.p_value
    if raw is None or (test not in KS_TESTS and test not in CHI2_TESTS):
        return None
    band: dict[str, Any] = {
        "confidence": confidence,
        "reference_share": reference_share(n_reference, n_current),
    }
    if test in KS_TESTS:
        bound, band["ks_band"] = ks_band(outcome.statistic, n_reference, n_current, confidence)
    elif test == "chi2_levels" and str(outcome.details.get("p_value_method")).startswith("asymptotic"):
        bound, band["reference_chi2"] = _levels_band(outcome, n_reference, n_current, confidence)
    else:
        dof = int(outcome.details.get("dof", 0))
        statistic = outcome.statistic if test == "chi2" else _chi2_quantile(raw, dof)  # exact, MC
        bound, band["reference_chi2"] = chi2_band(statistic, dof, n_reference, n_current, confidence)
    band["p_value_band"] = bound
    return max(raw, bound), band


def _levels_band(
    outcome: TestOutcome, n_reference: int, n_current: int, confidence: float
) -> tuple[float, float]:
    dof, levels = int(outcome.details.get("dof", 0)), int(outcome.details.get("levels_tested", 0))
    table, edge = chi2_band(outcome.statistic, dof, n_reference, n_current, confidence)
    if not levels:
        return table, edge
    largest, _ = chi2_band(float(outcome.details["level_statistic"]), 1, n_reference, n_current, confidence)
    return combined(table, min(1.0, levels * largest), levels), edge


def _chi2_quantile(p_value: float, dof: int) -> float:
    """The chi-square statistic with this p-value (inf for 0, 0 for 1)."""
    if dof < 1 or p_value >= 1.0:
        return 0.0
    if p_value <= 0.0:
        return math.inf
    return float(special.chdtri(dof, p_value))
