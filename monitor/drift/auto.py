"""`tests: auto`: a p-value test while samples are small, a distance once they are large enough.

The rule. With n_eff = n_ref * n_cur / (n_ref + n_cur) (the effective size of a two-sample
comparison: the smaller side dominates):
- numerical: `wasserstein` (normalised by the reference's std) when 3.7 / sqrt(n_eff) <= its
  threshold, else `ks`. With the default threshold 0.1 that is n_eff >= 1369, about 2,740 rows on
  each side. A constant reference (no spread to normalise by) always gets `ks`.
- categorical: `jensenshannon` when sqrt(chi2_{k-1}.ppf(0.999) / (8 n_eff)) <= its threshold, with k
  the number of categories of both sides; else `chi2_levels` (levels.py: the whole table and each
  level's share) for 3 or more categories, `chi2` for 2, or Fisher's exact test (smallsample.py)
  where the 2 x 2 table fails Cochran's rule. Unless configured, auto's Jensen-Shannon threshold is
  JENSENSHANNON_AUTO (0.035, see below): n_eff >= 1,400 for 3 categories, 5,950 for 30.
Never a distance with fewer than 100 values on a side (base.py's minimum for distances).
In words: the distance is used once its noise floor, the value it reaches in 99.9% of comparisons of
two samples of these sizes from one and the same distribution, is no larger than its threshold.

Why. A p-value answers "is there any difference at all?", and with enough rows the answer is always
yes: a shift of 0.01 standard deviation in 500,000 rows gives a KS p-value around 1e-8, an alarm about nothing
anyone cares about. A distance answers "how big is the difference?", and does not grow with the
sample size, so it is the right question for big windows; but on small samples a distance is mostly
noise (two samples of 100 from one normal distribution are on average 0.18 std apart in Wasserstein
terms) and would cry wolf where a p-value test correctly shrugs. The switch point is where the
distance stops being noisy: there its false-alarm rate is at most 0.1%, below the p-value test's 5%,
and both tests see shifts of about the same size (at n_eff = 1369, KS at alpha 0.05 detects a mean
shift of 0.09 std 8 times in 10; Wasserstein's threshold is a shift of 0.1 std), so the verdict does
not jump as window sizes cross it.

The noise floors. Jensen-Shannon's is analytic: for two samples of one distribution,
JS^2 ~ X / (8 n_eff) with X ~ chi-square with k - 1 degrees of freedom (second-order expansion of the
divergence, natural logarithms). Wasserstein's has no closed form; sqrt(n_eff) * W / std under no
drift was simulated (4,000 pairs of samples, n = 2,000 a side) for normal, uniform, exponential,
log-normal, Student t(3), bimodal and two-point distributions: the 99.9% quantiles were 3.07 to 3.64,
so 3.7 bounds them all.

Evidently's rule (`get_default_stattest`), for comparison: KS / chi-square when the *reference* has at
most 1,000 rows, Wasserstein / Jensen-Shannon above, whatever the current window's size and the
number of categories. Simulated, it raises false alarms on unchanged data: Jensen-Shannon at 0.1 with
1,001 rows a side flags 83% of comparisons with 50 categories and all with 100, and Wasserstein
flags 2%; and a 50-row window against a big reference is judged by a distance that is pure noise.

The p-value tests `auto` chose at their default level are then judged on p-values calibrated for the
reference's own sampling error (calibration.py) and adjusted across the window's columns under
Benjamini-Yekutieli (correction.py); see docs/drift.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scipy import special

from monitor.drift.base import MIN_VALUES_DISTANCE
from monitor.drift.chi2 import pearson
from monitor.drift.levels import pair_plan
from monitor.drift.pair import ColumnPair, CurrentSide
from monitor.drift.smallsample import cochran
from monitor.drift.summary import CategorySummary, NumericSummary, Summary
from monitor.drift.types import ColumnKind

WASSERSTEIN_NOISE = 3.7  # bound of the simulated 99.9% quantiles of sqrt(n_eff) * W / std
NOISE_QUANTILE = 0.999
# What `auto` judges a categorical column's distance against unless a threshold is configured: Cohen's
# "small" effect, w = sqrt(sum((q - p)^2 / p)) = 0.1, in Jensen-Shannon terms (JS^2 ~ w^2 / 8): a
# level's share moving from 0.30 to about 0.345. The test's own default (0.1, Evidently's) is w = 0.28,
# a move from 0.30 to 0.44, and misses changes users call real.
JENSENSHANNON_AUTO = 0.035
AUTO_THRESHOLDS = {"jensenshannon": JENSENSHANNON_AUTO}


def auto_default_threshold(test: str, default: float) -> float:
    """The threshold `auto` gives a test it chose when none is configured."""
    return AUTO_THRESHOLDS.get(test, default)


def effective_size(n_reference: int, n_current: int) -> float:
    total = n_reference + n_current
    return n_reference * n_current / total if total else 0.0


def wasserstein_noise(n_eff: float) -> float:
    return WASSERSTEIN_NOISE / math.sqrt(n_eff) if n_eff > 0 else math.inf


def jensenshannon_noise(n_eff: float, categories: int) -> float:
    if n_eff <= 0:
        return math.inf
    if categories < 2:
        return 0.0
    return math.sqrt(float(special.chdtri(categories - 1, 1 - NOISE_QUANTILE)) / (8 * n_eff))


def categorical_p_test(pair: ColumnPair | None) -> tuple[str, str]:
    """chi2_levels (levels.py) for 3 or more categories; for 2, chi2, or Fisher's exact test where
    chi-square's expected counts fail Cochran's rule (smallsample.py). And why, beyond the sizes."""
    if pair is None or pair.kind is not ColumnKind.CATEGORICAL or len(pair.categories.categories) < 2:
        return "chi2", ""
    rule = pair.memo("cochran", lambda: cochran(pearson(pair.categories).expected))
    failed = f"; chi-square's expected counts fail Cochran's rule ({rule.describe()})"
    if len(pair.categories.categories) == 2:
        return ("chi2", "") if rule.holds else ("fisher", f"{failed}: Fisher's exact test")
    why = "; the whole table and each level's share tested"
    method = pair_plan(pair).method
    if method == "asymptotic":
        return "chi2_levels", f"{why}, asymptotic p-value"
    if method == "monte_carlo":
        return "chi2_levels", f"{why}{failed}, even with rare levels merged: Monte Carlo p-value"
    return "chi2_levels", f"{why}{failed}: rare levels merged into one"


def _categories(reference: Summary | None, current: CurrentSide | None) -> int:
    labels: set[str] = set()
    for side in (reference, current):
        if isinstance(side, CategorySummary):
            labels.update(side.labels)
    return len(labels)


def choose_test(
    kind: ColumnKind,
    reference: Summary | None,
    current: CurrentSide | None,
    threshold_of: Callable[[str], float],
    pair: ColumnPair | None = None,
) -> tuple[str | None, str]:
    """(test name, why) for one column; None for a kind no test applies to. `pair`: the column's two
    sides, when both can be judged."""
    if kind is ColumnKind.SKIPPED:
        return None, "skipped columns are not tested"
    n_ref = reference.count if reference is not None else 0
    n_cur = current.count if current is not None else 0
    n_eff = effective_size(n_ref, n_cur)
    small = ""
    if kind is ColumnKind.NUMERICAL:
        p_test, distance = "ks", "wasserstein"
        if isinstance(reference, NumericSummary) and reference.count and reference.std == 0.0:
            return p_test, "auto: ks, the reference is constant (no spread to normalise a distance by)"
        noise = wasserstein_noise(n_eff)
    else:
        distance = "jensenshannon"
        p_test, small = categorical_p_test(pair)
        noise = jensenshannon_noise(n_eff, _categories(reference, current))
    threshold = threshold_of(distance)
    sizes = f"{n_ref} vs {n_cur} values"
    if min(n_ref, n_cur) < MIN_VALUES_DISTANCE:
        return (
            p_test,
            f"auto: {p_test}, {sizes}: fewer than the {MIN_VALUES_DISTANCE} a distance needs{small}",
        )
    if noise <= threshold:
        return distance, (
            f"auto: {distance}, {sizes} are enough for its no-drift noise ({noise:.3g}) "
            f"to stay within its threshold {threshold:g}"
        )
    return p_test, (
        f"auto: {p_test}, {sizes} are too few for {distance} (no-drift noise up to {noise:.3g}, "
        f"threshold {threshold:g}){small}"
    )
