"""The always-valid interval: its formula against the mixture likelihood ratio integrated numerically,
and its one promise, checked by simulation: a canary judged at every one of 200 looks as its data
grow fails wrongly in at most alpha of replicates, where a fixed-sample test judged the same way
fails wrongly far more often."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from monitor.metrics.sequential import (
    always_valid_half_width,
    always_valid_interval,
    difference_always_valid,
    mean_always_valid,
    mixture_likelihood_ratio,
)

ALPHA = 0.05
REPLICATES = 4000
LOOKS = 200
ROWS_PER_LOOK = 25  # new rows per side between looks: 25 .. 5,000 rows per side
MIN_ROWS = 100  # looks before this many rows per side are not judged (the gate's min_labels)
ROWS = ROWS_PER_LOOK * np.arange(1, LOOKS + 1)
JUDGED = ROWS >= MIN_ROWS
# The share of replicates that ever fail may exceed alpha by chance by 3 binomial standard errors.
TOLERANCE = 3 * math.sqrt(ALPHA * (1 - ALPHA) / REPLICATES)


def mixture_ratio_by_quadrature(estimate: float, variance: float, null: float, tau: float) -> float:
    """The mSPRT statistic from its definition: the likelihood ratio of the estimate under an effect
    theta against under the null effect, averaged over theta ~ N(null, tau²), by numerical integration."""
    sd = math.sqrt(variance)

    def integrand(theta: float) -> float:
        log_ratio = stats.norm.logpdf(estimate, theta, sd) - stats.norm.logpdf(estimate, null, sd)
        return float(math.exp(log_ratio) * stats.norm.pdf(theta, null, tau))

    ratio, _ = integrate.quad(
        integrand, null - 12 * tau, null + 12 * tau, epsabs=0.0, epsrel=1e-10, limit=200
    )
    return float(ratio)


@pytest.mark.parametrize(("variance", "tau"), [(4e-4, 0.02), (1e-5, 0.02), (0.3, 1.0), (2.5e-3, 0.005)])
def test_the_interval_ends_are_where_the_mixture_ratio_reaches_one_over_alpha(
    variance: float, tau: float
) -> None:
    low, high = always_valid_interval(0.1, variance, alpha=ALPHA, tau=tau)
    assert 0.1 - low == pytest.approx(high - 0.1)
    for end in (low, high):
        assert mixture_ratio_by_quadrature(0.1, variance, end, tau) == pytest.approx(1 / ALPHA, rel=1e-6)
        assert mixture_likelihood_ratio(0.1, variance, null=end, tau=tau) == pytest.approx(
            1 / ALPHA, rel=1e-9
        )
    inside = mixture_ratio_by_quadrature(0.1, variance, (0.1 + high) / 2, tau)
    assert inside < 1 / ALPHA  # values inside the interval are not rejected


def test_the_interval_is_wider_than_the_fixed_sample_one_and_narrows_with_data() -> None:
    widths = [always_valid_half_width(0.25 / n, alpha=ALPHA, tau=0.02) for n in (100, 1_000, 10_000)]
    assert widths[0] > widths[1] > widths[2] > 0
    for n, width in zip((100, 1_000, 10_000), widths, strict=True):
        assert width > 1.959964 * math.sqrt(0.25 / n)
    assert always_valid_half_width(0.0, alpha=ALPHA, tau=0.02) == 0.0
    vector = always_valid_half_width(np.array([0.25 / 100, 0.25 / 1_000]), alpha=ALPHA, tau=0.02)
    assert vector == pytest.approx(widths[:2])


def test_per_row_intervals_use_the_sample_variances() -> None:
    rng = np.random.default_rng(1)
    b, c = rng.exponential(1.0, 300), rng.exponential(1.2, 200)
    both = difference_always_valid(b, c, alpha=ALPHA, tau=0.1)
    variance = float(np.var(b, ddof=1) / 300 + np.var(c, ddof=1) / 200)
    assert both.estimate == pytest.approx(c.mean() - b.mean())
    assert (both.low, both.high) == pytest.approx(
        always_valid_interval(c.mean() - b.mean(), variance, alpha=ALPHA, tau=0.1)
    )
    one = mean_always_valid(np.r_[c, np.nan], alpha=ALPHA, tau=0.1)
    assert one.variance == pytest.approx(np.var(c, ddof=1) / 200)
    with pytest.raises(ValueError, match="alpha"):
        always_valid_interval(0.0, 1.0, alpha=0.0, tau=0.1)
    with pytest.raises(ValueError, match="tau"):
        always_valid_interval(0.0, 1.0, alpha=0.05, tau=0.0)


def proportions_at_each_look(rng: np.random.Generator, p: float) -> np.ndarray:
    """(REPLICATES, LOOKS) running proportions of a side with success probability p."""
    successes = np.cumsum(rng.binomial(ROWS_PER_LOOK, p, (REPLICATES, LOOKS)), axis=1)
    shares: np.ndarray = successes / ROWS
    return shares


def accuracy_canary(
    seed: int, baseline: float, candidate: float, allowed_drop: float, tau: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate and look, whether the gate's rule fails the canary: the whole always-valid
    interval of the accuracy drop lies above the allowed drop; and whether the naive rule (the
    fixed-sample 95% Wald interval instead) does. Looks before MIN_ROWS rows are not judged."""
    rng = np.random.default_rng(seed)
    pb, pc = proportions_at_each_look(rng, baseline), proportions_at_each_look(rng, candidate)
    drop = pb - pc
    variance = pb * (1 - pb) / ROWS + pc * (1 - pc) / ROWS
    sequential = drop - always_valid_half_width(variance, alpha=ALPHA, tau=tau) > allowed_drop
    naive = drop - 1.959964 * np.sqrt(variance) > allowed_drop
    return sequential & JUDGED, naive & JUDGED


def looks_to_fail(fails: np.ndarray, share: float) -> float:
    """The look by which `share` of the replicates have failed (inf if they never do)."""
    first = np.where(fails.any(axis=1), fails.argmax(axis=1) + 1, np.inf)
    return float(np.quantile(first, share))


@pytest.mark.parametrize(
    ("case", "baseline", "candidate", "allowed_drop", "tau"),
    [
        ("equal canary, no drop allowed", 0.90, 0.90, 0.0, 0.02),
        ("equal canary of a rare error", 0.98, 0.98, 0.0, 0.01),
        ("a drop of exactly the allowed 0.02 (tau = the allowed drop)", 0.90, 0.88, 0.02, 0.02),
    ],
)
def test_an_acceptable_canary_fails_wrongly_in_at_most_alpha_over_200_looks(
    case: str, baseline: float, candidate: float, allowed_drop: float, tau: float
) -> None:
    sequential, naive = accuracy_canary(2, baseline, candidate, allowed_drop, tau)
    ever, per_look = sequential.any(axis=1).mean(), sequential[:, JUDGED].mean()
    naive_ever, naive_per_look = naive.any(axis=1).mean(), naive[:, JUDGED].mean()
    print(f"{case}: always-valid ever-fail {ever:.4f} (per look {per_look:.5f})")
    print(f"{case}: naive ever-fail {naive_ever:.4f} (per look {naive_per_look:.4f})")
    assert ever <= ALPHA + TOLERANCE, case
    # The same rule with a fixed-sample interval, looked at 197 times: its per-look rate is the
    # nominal 2.5% (one side of a 95% interval), but most replicates fail at some look or other.
    assert 0.015 <= naive_per_look <= 0.035
    assert naive_ever > 2 * ALPHA + TOLERANCE, case


def test_a_worse_canary_fails_within_45_looks() -> None:
    # Accuracy 0.80 against 0.90, 0.02 allowed: 95% of replicates fail by look 45 (1,125 rows a side;
    # measured: half by look 22, 95% by look 38).
    sequential, _ = accuracy_canary(3, 0.90, 0.80, 0.02, 0.02)
    assert sequential[:, :45].any(axis=1).mean() >= 0.95
    assert looks_to_fail(sequential, 0.95) <= 45
    # An error rate of 0.06 against 0.02, a rise of 0.01 allowed (tau 0.01): 95% by look 80
    # (measured: half by look 39, 95% by look 72).
    errors, _ = accuracy_canary(4, 0.98, 0.94, 0.01, 0.01)
    assert errors[:, :80].any(axis=1).mean() >= 0.95


def test_one_error_rate_against_a_limit() -> None:
    # The max-error-rate rule: fail when the always-valid lower bound of the candidate's error rate
    # exceeds the limit (tau = the limit). At the limit itself it rarely fails; at twice it, soon.
    rng = np.random.default_rng(5)
    at_limit, twice = proportions_at_each_look(rng, 0.03), proportions_at_each_look(rng, 0.06)
    fails = []
    for rate in (at_limit, twice):
        half = always_valid_half_width(rate * (1 - rate) / ROWS, alpha=ALPHA, tau=0.03)
        fails.append((rate - half > 0.03) & (ROWS >= 200))  # the gate's min_rows
    ever = fails[0].any(axis=1).mean()
    print(f"error rate at its limit: ever-fail {ever:.4f} (per look {fails[0][:, ROWS >= 200].mean():.5f})")
    assert ever <= ALPHA + TOLERANCE
    assert looks_to_fail(fails[1], 0.95) <= 60  # measured: 49 (1,225 rows)


def test_skewed_per_row_losses_under_200_looks() -> None:
    # Means of skewed per-row losses (MAE-like, exponential), equal on both sides: the plug-in
    # variance and the central limit theorem carry the guarantee; checked here, 1,000 replicates.
    rng = np.random.default_rng(6)
    replicates = 1_000
    sums = np.zeros((2, 2, replicates))  # side x (sum, sum of squares) x replicate
    ever_fail = np.zeros(replicates, dtype=bool)
    for look in range(1, LOOKS + 1):
        rows = rng.exponential(1.0, (2, replicates, ROWS_PER_LOOK))
        sums += np.stack([rows.sum(axis=2), (rows**2).sum(axis=2)], axis=1)
        n = look * ROWS_PER_LOOK
        means = sums[:, 0] / n
        variances = (sums[:, 1] - n * means**2) / (n - 1)
        rise = means[1] - means[0]
        half = always_valid_half_width((variances[0] + variances[1]) / n, alpha=ALPHA, tau=0.05)
        ever_fail |= (rise - half > 0.0) & (n >= MIN_ROWS)
    tolerance = 3 * math.sqrt(ALPHA * (1 - ALPHA) / replicates)
    print(f"skewed losses: ever-fail {ever_fail.mean():.4f}")
    assert ever_fail.mean() <= ALPHA + tolerance
