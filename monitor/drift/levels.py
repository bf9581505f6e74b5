"""`chi2_levels`: chi-square of the whole table, and of each level's share, together (auto's choice).

Why. Chi-square's test of the whole 2 x k table spreads its power over k - 1 degrees of freedom: with
20 or 30 categories it misses one level's share moving by 10 points in a 1,000-row window about one
time in five once the level is shared across 100 columns (multiple testing), though such a change is
what users mean by drift. Testing each level's share (that level against all others) finds it at once;
the whole-table test finds many levels each moving a little. This test does both and keeps both
guarantees (a union of the two hypotheses' rejections, Bonferroni-combined):

- whole table: Pearson's X^2 of the 2 x k table, p_table as `chi2` (scipy.stats.chi2_contingency);
- each level j: X^2_j of the 2 x 2 table (level j, all others) x (reference, current), without
  continuity correction, p_j its chi-square p-value with 1 degree of freedom (as
  scipy.stats.chi2_contingency on that table); only levels whose 2 x 2 table has every expected count
  of at least 5 (Cochran's rule for one degree of freedom: rare levels are left to the whole-table
  test, where they do not make the p-value too small); p_level = min(1, L * min p_j), L such levels
  (Bonferroni over levels: Goodman's simultaneous intervals for multinomial shares, 1964);
- p = min(1, 2 * min(p_table, p_level)); with no testable level, p = p_table.

Small samples: where the whole table fails Cochran's rule (smallsample.py), p_table is not to be
trusted, and p is instead the Monte Carlo p-value of T = min(p_table, p_level) itself: the share of
random tables with the observed margins whose T is as small or smaller, drawn and counted as `chi2_mc`
does (seeded, sequential, up to `monte_carlo.resamples`). No Bonferroni factor 2 is needed there:
the Monte Carlo distribution is that of the minimum.

The statistic and effect size are the whole table's (X^2 and Cramer's V, as `chi2`); `details` add
both asymptotic p-values, the number of levels tested, the p-value's method, and the level with the
smallest p_j with its shares on both sides. `auto` picks it for 3 or more categories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from monitor.drift.base import Direction, DriftTest, TestOutcome
from monitor.drift.binning import CategoryCounts
from monitor.drift.chi2 import FloatArray, Pearson, chi2_details, cramers_v, pearson
from monitor.drift.options import DriftOptions, MonteCarloOptions
from monitor.drift.pair import ColumnPair
from monitor.drift.smallsample import (
    Extremeness,
    cochran,
    monte_carlo_details,
    monte_carlo_p_value,
)
from monitor.drift.types import ColumnKind

MIN_EXPECTED = 5.0
TESTS_COMBINED = 2  # the whole table and the levels: Bonferroni over the two


@dataclass(frozen=True)
class LevelTests:
    statistics: FloatArray  # X^2_j of every level (NaN where not tested)
    tested: np.ndarray  # which levels meet Cochran's rule for their 2 x 2 table

    @property
    def count(self) -> int:
        return int(self.tested.sum())

    @property
    def largest(self) -> int | None:
        """Index of the tested level with the largest X^2_j (smallest p_j)."""
        if not self.count:
            return None
        return int(np.nanargmax(np.where(self.tested, self.statistics, np.nan)))


def _level_statistics(
    ref: FloatArray, cur: FloatArray, n_ref: float, n_cur: float, level: FloatArray
) -> FloatArray:
    """X^2 of each level's 2 x 2 table, N (a d - b c)^2 / ((a + b)(c + d)(a + c)(b + d)), for
    reference counts `ref` and current counts `cur` (the last axis: levels)."""
    total = n_ref + n_cur
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = ref * (n_cur - cur) - cur * (n_ref - ref)
        statistics: FloatArray = total * cross**2 / (n_ref * n_cur * level * (total - level))
    return statistics


def level_tests(counts: CategoryCounts) -> LevelTests:
    """Pearson's X^2 of each level's 2 x 2 table (that level, all others), and which levels meet
    Cochran's rule for it (every expected count at least 5)."""
    ref, cur = counts.reference.astype(np.float64), counts.current.astype(np.float64)
    n_ref, n_cur = ref.sum(), cur.sum()
    level = ref + cur
    rest = n_ref + n_cur - level
    expected = np.array([n_ref * level, n_ref * rest, n_cur * level, n_cur * rest]) / (n_ref + n_cur)
    tested = np.all(expected >= MIN_EXPECTED, axis=0)
    statistics = _level_statistics(ref, cur, n_ref, n_cur, level)
    return LevelTests(np.where(tested, statistics, np.nan), tested)


def level_p_value(levels: LevelTests, statistic: float | None = None) -> float:
    """Bonferroni over the tested levels of the largest X^2_j (or of `statistic` in its place)."""
    if not levels.count:
        return 1.0
    largest = float(np.nanmax(levels.statistics)) if statistic is None else statistic
    return min(1.0, levels.count * float(special.chdtrc(1, largest)))


def combined(p_table: float, p_level: float, levels: int) -> float:
    if not levels:
        return p_table
    return min(1.0, TESTS_COMBINED * min(p_table, p_level))


def min_p_extremeness(table: Pearson, levels: LevelTests) -> Extremeness:
    """-min(p_table, p_level) of each random table: larger is more extreme."""
    n_ref, n_cur = (float(n) for n in table.table.sum(axis=1))
    level = table.table.sum(axis=0).astype(np.float64)[levels.tested]
    expected = table.expected.ravel()
    tested = np.concatenate([levels.tested, levels.tested])

    def extremeness(tables: npt.NDArray[np.int64]) -> FloatArray:
        p_table = special.chdtrc(table.dof, np.sum((tables - expected) ** 2 / expected, axis=-1))
        if not levels.count:
            return -p_table  # type: ignore[no-any-return]
        picked = tables[:, tested].astype(np.float64)
        ref, cur = picked[:, : levels.count], picked[:, levels.count :]
        largest = _level_statistics(ref, cur, n_ref, n_cur, level).max(axis=-1)
        p_level = np.minimum(1.0, levels.count * special.chdtrc(1, largest))
        return -np.minimum(p_table, p_level)  # type: ignore[no-any-return]

    return extremeness


RARE = "(rare levels)"


def merge_rare(counts: CategoryCounts) -> tuple[CategoryCounts, list[str]] | None:
    """The table with its rare levels (expected count below 5 on the smaller side) merged into one
    bin, itself merged with the smallest other levels until its expected count reaches 5; and the
    labels merged. None when fewer than 2 bins would be left."""
    ref, cur = counts.reference, counts.current
    level = ref + cur
    smaller = min(int(ref.sum()), int(cur.sum()))
    total = int(level.sum())
    rare = smaller * level / total < MIN_EXPECTED
    while rare.any() and not rare.all() and smaller * level[rare].sum() / total < MIN_EXPECTED:
        kept = np.flatnonzero(~rare)
        rare[kept[np.argmin(level[kept])]] = True  # the smallest level left joins the rare bin
    keep = ~rare
    if keep.sum() + (1 if rare.any() else 0) < 2:
        return None
    labels = [c for c, k in zip(counts.categories, keep, strict=True) if k] + [RARE]
    merged = CategoryCounts(
        labels,
        np.append(ref[keep], ref[rare].sum()),
        np.append(cur[keep], cur[rare].sum()),
    )
    return merged, [c for c, r in zip(counts.categories, rare, strict=True) if r]


@dataclass(frozen=True)
class Plan:
    """How chi2_levels tests a table: the p-value's method, the table tested, the levels merged."""

    method: str  # "exact" (one category), "asymptotic", "asymptotic, rare levels merged", "monte_carlo"
    tested: CategoryCounts
    merged: list[str]


def plan(counts: CategoryCounts) -> Plan:
    table = pearson(counts)
    if table.dof == 0:
        return Plan("exact", counts, [])
    if cochran(table.expected).holds:
        return Plan("asymptotic", counts, [])
    merge = merge_rare(counts)
    if merge is None:
        return Plan("monte_carlo", counts, [])
    return Plan("asymptotic, rare levels merged", *merge)


def pair_plan(pair: ColumnPair) -> Plan:
    return pair.memo("chi2_levels_plan", lambda: plan(pair.categories))


class Chi2LevelsTest(DriftTest):
    name = "chi2_levels"
    kinds = frozenset({ColumnKind.CATEGORICAL})
    default_threshold = 0.05
    direction = Direction.P_VALUE

    def __init__(self, options: MonteCarloOptions | None = None) -> None:
        self.options = options if options is not None else MonteCarloOptions()

    def configured(self, options: DriftOptions) -> DriftTest:
        return self if options.monte_carlo == self.options else Chi2LevelsTest(options.monte_carlo)

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        counts = pair.categories
        chosen = pair_plan(pair)
        method, tested = chosen.method, chosen.tested
        details: dict[str, Any] = {**chi2_details(counts, 0), "p_value_method": method}
        if chosen.merged:
            details["merged_levels"] = chosen.merged
        table, levels = pearson(tested), level_tests(tested)
        p_level = level_p_value(levels)
        details.update(
            dof=table.dof,
            p_value_table=table.p_value,
            p_value_levels=p_level,
            levels_tested=levels.count,
            **_largest_level(tested, levels),
        )
        if method == "exact":
            p_value = 1.0
        elif method == "monte_carlo":
            extremeness = min_p_extremeness(table, levels)
            observed = float(extremeness(table.table.reshape(1, -1))[0])
            mc = monte_carlo_p_value(table.table, observed, extremeness, self.options)
            p_value = mc.p_value
            details.update(monte_carlo_details(mc, self.options))
        else:
            p_value = combined(table.p_value, p_level, levels.count)
        effect = cramers_v(table.statistic, int(table.table.sum()), len(tested.categories))
        return TestOutcome(statistic=table.statistic, p_value=p_value, details=details, effect_size=effect)


def _largest_level(counts: CategoryCounts, levels: LevelTests) -> dict[str, Any]:
    largest = levels.largest
    if largest is None:
        return {}
    return {
        "level": counts.categories[largest],
        "level_statistic": float(levels.statistics[largest]),
        "level_reference_share": float(counts.reference[largest] / counts.reference.sum()),
        "level_current_share": float(counts.current[largest] / counts.current.sum()),
    }
