"""Always-valid confidence intervals: intervals that may be looked at after every new row and still
hold their confidence over all the looks together. Pure numpy.

The method is the normal-mixture sequential probability ratio test (mSPRT) of
R. Johari, P. Koomen, L. Pekelis and D. Walsh, "Always Valid Inference: Continuous Monitoring of
A/B Tests", Operations Research 70(3):1806-1821, 2022 (first as "Peeking at A/B Tests: Why it
Matters, and What to Do About It", KDD 2017).

For an estimate θ̂ of an effect θ with variance V, the mixture likelihood ratio of "effect θ0"
against a normal mixture N(θ0, τ²) of alternatives is

    Λ(θ0) = sqrt(V / (V + τ²)) · exp( τ² (θ̂ - θ0)² / (2 V (V + τ²)) ),

a non-negative martingale under θ = θ0, so by Ville's inequality the probability that it EVER reaches
1/alpha is at most alpha. The always-valid interval is the set of θ0 it has not rejected:

    θ̂ ± sqrt( 2V(V + τ²)/τ² · ln( sqrt((V + τ²)/V) / alpha ) ).

Assumptions. Exact when θ̂ is normal with known V (a Brownian motion in information 1/V); for means of
rows (a difference of two means: V = s_b²/n_b + s_c²/n_c; one mean: V = s²/n) it holds as the central
limit theorem makes the running estimate normal and V is the plug-in estimate, as in Johari et al.'s
deployment; with unequal and changing sample sizes on the two sides the difference is not exactly a
Brownian motion, another asymptotic step. A proportion is the mean of 0/1 rows (V = p(1-p)/n). ROC AUC
may use DeLong's variance in the same boundary: asymptotic too (DeLong's AUC is asymptotically normal),
and not covered by the exact argument. With few rows the plug-in variance is noisy; callers insist on
a minimum number of rows before judging (the canary gate's min_rows and min_labels).

τ (the mixing standard deviation, in the effect's units) is the size of effect the test is tuned to
find fastest; any τ > 0 keeps the error guarantee. It must be fixed before the data are seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

import numpy as np


def _check(alpha: float, tau: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not (tau > 0.0 and math.isfinite(tau)):
        raise ValueError(f"tau must be a positive number, got {tau}")


@overload
def always_valid_half_width(variance: float, *, alpha: float, tau: float) -> float: ...
@overload
def always_valid_half_width(variance: np.ndarray, *, alpha: float, tau: float) -> np.ndarray: ...
def always_valid_half_width(variance: float | np.ndarray, *, alpha: float, tau: float) -> float | np.ndarray:
    """Half the width of the always-valid interval for an estimate of variance V (elementwise on an
    array). V = 0 gives 0 (the limit); a negative or NaN V gives NaN."""
    _check(alpha, tau)
    v = np.asarray(variance, dtype=float)
    t2 = tau * tau
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = 0.5 * np.log((v + t2) / v) - math.log(alpha)
        squared = 2.0 * v * (v + t2) / t2 * log_term
    squared = np.where(v == 0.0, 0.0, squared)
    half = np.where(v >= 0.0, np.sqrt(np.where(v >= 0.0, squared, 0.0)), np.nan)
    if np.ndim(variance) == 0:
        return float(half)
    result: np.ndarray = half
    return result


def always_valid_interval(
    estimate: float, variance: float, *, alpha: float, tau: float
) -> tuple[float, float]:
    """The (1 - alpha) always-valid interval θ̂ ± half width (Johari et al.'s normal mixture)."""
    half = always_valid_half_width(float(variance), alpha=alpha, tau=tau)
    return estimate - half, estimate + half


def mixture_likelihood_ratio(estimate: float, variance: float, *, null: float, tau: float) -> float:
    """Λ(null): the mSPRT statistic for "effect = null"; the interval is where it stays below 1/alpha."""
    _check(0.5, tau)
    t2 = tau * tau
    exponent = t2 * (estimate - null) ** 2 / (2.0 * variance * (variance + t2))
    return math.sqrt(variance / (variance + t2)) * math.exp(exponent)


@dataclass(frozen=True)
class AlwaysValid:
    """An estimate, its variance and its always-valid interval at level 1 - alpha."""

    estimate: float
    variance: float
    low: float
    high: float
    alpha: float
    tau: float

    @classmethod
    def of(cls, estimate: float, variance: float, *, alpha: float, tau: float) -> AlwaysValid:
        low, high = always_valid_interval(estimate, variance, alpha=alpha, tau=tau)
        return cls(float(estimate), float(variance), low, high, alpha, tau)


def _values(values: np.ndarray | list[float], side: str) -> np.ndarray:
    array: np.ndarray = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    if len(array) < 2:
        raise ValueError(f"the {side} needs at least 2 finite values, got {len(array)}")
    return array


def mean_always_valid(values: np.ndarray | list[float], *, alpha: float, tau: float) -> AlwaysValid:
    """Always-valid interval of one mean (V = s²/n, sample variance with ddof 1); non-finite values
    dropped. For 0/1 rows it is the interval of a proportion."""
    x = _values(values, "sample")
    return AlwaysValid.of(float(x.mean()), float(x.var(ddof=1)) / len(x), alpha=alpha, tau=tau)


def difference_always_valid(
    baseline: np.ndarray | list[float], candidate: np.ndarray | list[float], *, alpha: float, tau: float
) -> AlwaysValid:
    """Always-valid interval of mean(candidate) - mean(baseline), two independent samples
    (V = s_b²/n_b + s_c²/n_c, sample variances with ddof 1); non-finite values dropped."""
    b, c = _values(baseline, "baseline"), _values(candidate, "candidate")
    variance = float(b.var(ddof=1)) / len(b) + float(c.var(ddof=1)) / len(c)
    return AlwaysValid.of(float(c.mean() - b.mean()), variance, alpha=alpha, tau=tau)
