"""Categories on small samples: where chi-square's asymptotic p-value is not to be trusted.

Cochran's rule (Cochran 1954, "Some methods for strengthening the common chi-square tests"): the
chi-square approximation holds when no expected count is below 1 and at most 20% of them are below 5.
A 60-row window against a reference with rare categories breaks it (a category with a 1% share
expects 0.6 of its rows), and there the asymptotic p-value is too small: false alarms. `tests: auto`
then picks one of these, and says so in `chosen_by`:

- `fisher`: 2 categories. Fisher's exact test of the 2 x 2 table, two-sided
  (`scipy.stats.fisher_exact(table).pvalue`): exact, no approximation, no randomness.
- `chi2_mc`: more categories. The same Pearson statistic as `chi2`, its p-value by Monte Carlo: random
  2 x k tables with the observed margins (what the table would look like if the window's rows were
  a random draw of the pooled rows, `scipy.stats.random_table`, Patefield's algorithm) from a
  generator seeded with `monte_carlo.seed`, so the same data give the same p-value. Sequential (Besag &
  Clifford 1991, "Sequential Monte Carlo p-values", Biometrika 78): tables are drawn until
  `exceedances` (10) of them reach the observed statistic, then p = exceedances / tables drawn; or up
  to `resamples` (99,999) tables, then p = (exceedances + 1) / (resamples + 1), the resolution (1e-5)
  being the smallest p-value it can give: small enough for the false discovery correction of a
  window of up to 700 columns to flag one column alone (Benjamini-Yekutieli's smallest level is
  0.05 / (m c(m)), 1e-4 for 100 columns). Under no drift a test stops after a hundred tables or so.
  Either p-value is valid (never smaller than it should be); stopped early, it is within about
  1 / sqrt(10) of the exact conditional p-value, relatively. Drawn in batches of 20, 40, 80, ... from
  one generator, so the tables are those of one draw of as many (`scipy.stats.chi2_contingency(table,
  method=MonteCarloMethod(n_resamples=n, rng=default_rng(seed)))` counts the same exceedances).
Statistic (Pearson's X^2), degrees of freedom and effect size (Cramer's V) are as `chi2`'s;
`details` add the p-value's method, the tables drawn, the resolution and the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from monitor.drift.base import Direction, DriftTest, TestOutcome
from monitor.drift.chi2 import FloatArray, Pearson, chi2_details, cramers_v, pearson
from monitor.drift.options import DriftOptions, MonteCarloOptions
from monitor.drift.pair import ColumnPair
from monitor.drift.types import ColumnKind

# scipy's monte_carlo_test: null values within this relative distance of the observed one count as equal.
TIE_TOLERANCE = float(np.finfo(np.float64).eps) * 100


@dataclass(frozen=True)
class Cochran:
    holds: bool
    below_1: int
    below_5: int
    cells: int

    def describe(self) -> str:
        return f"{self.below_5} of {self.cells} expected counts below 5, {self.below_1} below 1"


def cochran(expected: FloatArray) -> Cochran:
    below_1, below_5 = int(np.sum(expected < 1)), int(np.sum(expected < 5))
    return Cochran(below_1 == 0 and below_5 <= 0.2 * expected.size, below_1, below_5, int(expected.size))


@dataclass(frozen=True)
class MonteCarloPValue:
    p_value: float
    drawn: int
    exceedances: int
    stopped_early: bool


# Of a batch of random tables (rows: tables, flattened 2 x k), how extreme each is: larger is more.
Extremeness = Callable[[npt.NDArray[np.int64]], FloatArray]


def pearson_statistic(expected: FloatArray) -> Extremeness:
    flat = expected.ravel()

    def statistic(tables: npt.NDArray[np.int64]) -> FloatArray:
        values: FloatArray = np.sum((tables - flat) ** 2 / flat, axis=-1)
        return values

    return statistic


def monte_carlo_p_value(
    table: npt.NDArray[np.int64], observed: float, extremeness: Extremeness, options: MonteCarloOptions
) -> MonteCarloPValue:
    """Besag and Clifford's sequential Monte Carlo p-value of a statistic of the 2 x k table, its
    margins fixed: random tables count when at least as extreme as the observed one (scipy's
    tolerance for equal values: 100 machine epsilons, relative)."""
    rng = np.random.default_rng(options.seed)
    sampler = stats.random_table(table.sum(axis=1), table.sum(axis=0), seed=rng)
    bar = observed - abs(TIE_TOLERANCE * observed)
    drawn, found, batch = 0, 0, 2 * options.exceedances
    while drawn < options.resamples:
        size = min(batch, options.resamples - drawn)
        null = extremeness(sampler.rvs(size=size).reshape(size, -1))
        running = found + np.cumsum(null >= bar)
        if running[-1] >= options.exceedances:
            at = int(np.argmax(running >= options.exceedances)) + 1  # the h-th exceedance's draw
            return MonteCarloPValue(options.exceedances / (drawn + at), drawn + at, options.exceedances, True)
        drawn, found, batch = drawn + size, int(running[-1]), batch * 2
    return MonteCarloPValue((found + 1) / (drawn + 1), drawn, found, False)


def monte_carlo_details(mc: MonteCarloPValue, options: MonteCarloOptions) -> dict[str, Any]:
    return {
        "p_value_method": "monte_carlo",
        "resamples": mc.drawn,
        "resamples_max": options.resamples,
        "exceedances": mc.exceedances,
        "stopped_early": mc.stopped_early,
        "p_value_resolution": 1.0 / (options.resamples + 1),
        "seed": options.seed,
    }


class _SmallSampleTest(DriftTest):
    kinds = frozenset({ColumnKind.CATEGORICAL})
    default_threshold = 0.05
    direction = Direction.P_VALUE

    def outcome(
        self, pair: ColumnPair, result: Pearson, p_value: float, extra: dict[str, Any]
    ) -> TestOutcome:
        counts = pair.categories
        effect = cramers_v(result.statistic, int(result.table.sum()), len(counts.categories))
        details = {**chi2_details(counts, result.dof), **extra}
        return TestOutcome(statistic=result.statistic, p_value=p_value, details=details, effect_size=effect)


class FisherTest(_SmallSampleTest):
    name = "fisher"

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        result = pearson(pair.categories)
        if result.table.shape[1] == 1:  # one category in all: nothing moved
            return self.outcome(pair, result, 1.0, {"p_value_method": "exact"})
        if result.table.shape[1] != 2:
            raise ValueError(f"fisher needs 2 categories, not {result.table.shape[1]}: use chi2_mc")
        fisher = stats.fisher_exact(result.table)
        extra = {"p_value_method": "exact", "odds_ratio": float(fisher.statistic)}
        return self.outcome(pair, result, float(fisher.pvalue), extra)


class Chi2MonteCarloTest(_SmallSampleTest):
    name = "chi2_mc"

    def __init__(self, options: MonteCarloOptions | None = None) -> None:
        self.options = options if options is not None else MonteCarloOptions()

    def configured(self, options: DriftOptions) -> DriftTest:
        return self if options.monte_carlo == self.options else Chi2MonteCarloTest(options.monte_carlo)

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        result = pearson(pair.categories)
        if result.dof == 0:
            return self.outcome(pair, result, 1.0, {"p_value_method": "exact"})
        extremeness = pearson_statistic(result.expected)
        observed = float(extremeness(result.table.reshape(1, -1))[0])  # as the random tables' (scipy's)
        mc = monte_carlo_p_value(result.table, observed, extremeness, self.options)
        return self.outcome(pair, result, mc.p_value, monte_carlo_details(mc, self.options))
