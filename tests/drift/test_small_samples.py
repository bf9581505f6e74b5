"""Small samples: every chi-square fallback against an independent computation with scipy.

- fisher: scipy.stats.fisher_exact;
- chi2_mc: scipy.stats.chi2_contingency with MonteCarloMethod, the same seed (the same random tables);
- chi2_levels with rare levels merged: scipy.stats.chi2_contingency on a table merged here by the rule;
- chi2_levels by Monte Carlo: scipy.stats.monte_carlo_test on the same random tables, the statistic
  written out here with scipy.stats.chi2_contingency on each level's 2 x 2 table;
- ks on small samples: scipy.stats.ks_2samp(method="exact").
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from scipy import stats

from monitor.drift import (
    ColumnKind,
    DriftOptions,
    MonteCarloOptions,
    Status,
    TestResult,
    compare_datasets,
    get_test,
)
from monitor.drift.levels import RARE

FISHER, CHI2_MC, LEVELS, KS = (get_test(n) for n in ("fisher", "chi2_mc", "chi2_levels", "ks"))


def labels(counts: dict[str, int]) -> np.ndarray:
    return np.array([k for k, n in counts.items() for _ in range(n)], dtype=object)


def table_of(ref: dict[str, int], cur: dict[str, int]) -> np.ndarray:
    keys = sorted(ref.keys() | cur.keys())
    return np.array([[ref.get(k, 0) for k in keys], [cur.get(k, 0) for k in keys]])


def only(ref: dict[str, int], cur: dict[str, int]) -> TestResult:
    reference, current = (pd.DataFrame({"c": labels(side)}) for side in (ref, cur))
    (result,) = compare_datasets(reference, current, DriftOptions()).results
    return result


@settings(max_examples=40, deadline=None)
@given(a=st.integers(1, 30), b=st.integers(0, 30), c=st.integers(0, 30), d=st.integers(1, 30))
def test_fisher_is_scipys_exact_test(a: int, b: int, c: int, d: int) -> None:
    ref, cur = {"x": a, "y": b}, {"x": c, "y": d}
    outcome = FISHER.compute(labels(ref), labels(cur), ColumnKind.CATEGORICAL)
    table = table_of(ref, cur)
    if (table.sum(axis=0) > 0).all():
        assert outcome.p_value == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-12, abs=1e-15)
        expected = stats.chi2_contingency(table, correction=False).statistic
        assert outcome.statistic == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_auto_takes_fisher_for_two_categories_failing_cochran() -> None:
    result = only({"yes": 190, "no": 10}, {"yes": 15, "no": 5})
    assert result.test == "fisher"
    assert (
        "fail Cochran's rule (1 of 4 expected counts below 5, 0 below 1): Fisher's exact test"
        in (result.details["chosen_by"])
    )
    assert result.p_value == pytest.approx(stats.fisher_exact([[190, 10], [15, 5]]).pvalue, rel=1e-12)


CASES = [
    ({"a": 40, "b": 30, "c": 3, "d": 1}, {"a": 10, "b": 2, "c": 2, "d": 1}),  # stops early
    ({"a": 400, "b": 300, "c": 30, "d": 2}, {"a": 2, "b": 12, "c": 4, "d": 3}),  # never reaches 10
]


@pytest.mark.parametrize(("ref", "cur"), CASES)
def test_chi2_mc_counts_what_scipys_monte_carlo_counts_with_the_same_seed(
    ref: dict[str, int], cur: dict[str, int]
) -> None:
    options = MonteCarloOptions(resamples=2_000, exceedances=10, seed=11)
    test = CHI2_MC.configured(DriftOptions(monte_carlo=options))
    outcome = test.compute(labels(ref), labels(cur), ColumnKind.CATEGORICAL)
    drawn, found = outcome.details["resamples"], outcome.details["exceedances"]
    method = stats.MonteCarloMethod(n_resamples=drawn, rng=np.random.default_rng(11))
    scipy_p = stats.chi2_contingency(table_of(ref, cur), correction=False, method=method).pvalue
    assert round(scipy_p * (drawn + 1)) - 1 == found  # the same tables, the same exceedances
    if outcome.details["stopped_early"]:
        assert found == 10 and outcome.p_value == pytest.approx(10 / drawn, rel=1e-12)
    else:
        assert drawn == 2_000 and outcome.p_value == pytest.approx(scipy_p, rel=1e-12)
    assert outcome.details["p_value_resolution"] == pytest.approx(1 / 2_001)
    again = test.compute(labels(ref), labels(cur), ColumnKind.CATEGORICAL)
    assert again.p_value == outcome.p_value  # seeded: reproducible
    assert {True, False} >= {outcome.details["stopped_early"]}
    assert outcome.statistic == pytest.approx(
        stats.chi2_contingency(table_of(ref, cur), correction=False).statistic, rel=1e-12
    )


def test_the_two_cases_cover_stopping_early_and_running_to_the_end() -> None:
    options = DriftOptions(monte_carlo=MonteCarloOptions(resamples=2_000, exceedances=10, seed=11))
    test = CHI2_MC.configured(options)
    stops = [
        test.compute(labels(r), labels(c), ColumnKind.CATEGORICAL).details["stopped_early"] for r, c in CASES
    ]
    assert stops == [True, False]


def merged_by_hand(table: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The merge rule written out: levels whose expected count on the smaller side is below 5 go
    into one bin; while that bin is below 5 itself, the smallest remaining level joins it."""
    smaller, total = table.sum(axis=1).min(), table.sum()
    level = table.sum(axis=0)
    rare = [j for j in range(table.shape[1]) if smaller * level[j] / total < 5]
    while rare and len(rare) < table.shape[1] and smaller * level[rare].sum() / total < 5:
        rest = [j for j in range(table.shape[1]) if j not in rare]
        rare.append(min(rest, key=lambda j: (level[j], j)))
    keep = [j for j in range(table.shape[1]) if j not in rare]
    return np.column_stack([table[:, keep], table[:, rare].sum(axis=1)]), keep


def levels_p_by_hand(table: np.ndarray) -> float:
    """2 min(p of the whole table, L min p_j) over levels whose 2 x 2 table expects 5 or more."""
    whole = stats.chi2_contingency(table, correction=False).pvalue
    per_level = []
    for j in range(table.shape[1]):
        two = np.column_stack([table[:, j], table.sum(axis=1) - table[:, j]])
        if (stats.contingency.expected_freq(two) >= 5).all():
            per_level.append(stats.chi2_contingency(two, correction=False).pvalue)
    if not per_level:
        return float(whole)
    return min(1.0, 2 * min(whole, min(1.0, len(per_level) * min(per_level))))


@settings(max_examples=40, deadline=None)
@given(
    ref=st.lists(st.integers(0, 400), min_size=3, max_size=8),
    cur=st.lists(st.integers(0, 40), min_size=8, max_size=8),
)
def test_chi2_levels_asymptotic_or_merged_is_scipy_on_the_table_it_says(
    ref: list[int], cur: list[int]
) -> None:
    names = [f"k{i}" for i in range(len(ref))]
    ref_counts = dict(zip(names, ref, strict=True))
    cur_counts = dict(zip(names, cur, strict=False))
    table = table_of(ref_counts, cur_counts)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 3 or (table.sum(axis=1) < 2).any():
        return
    outcome = LEVELS.compute(labels(ref_counts), labels(cur_counts), ColumnKind.CATEGORICAL)
    method = outcome.details["p_value_method"]
    event(method)
    if method == "asymptotic":
        tested = table
    elif method == "asymptotic, rare levels merged":
        tested, keep = merged_by_hand(table)
        kept = [outcome.details["categories"][j] for j in keep]
        assert sorted(kept + outcome.details["merged_levels"]) == outcome.details["categories"]
    else:
        assert method == "monte_carlo"
        return
    assert outcome.statistic == pytest.approx(
        stats.chi2_contingency(tested, correction=False).statistic, rel=1e-9, abs=1e-9
    )
    assert outcome.p_value == pytest.approx(levels_p_by_hand(tested), rel=1e-9, abs=1e-12)


def min_p_by_hand(flat: np.ndarray, tested: list[int], k: int) -> float:
    table = flat.reshape(2, k)
    whole = stats.chi2_contingency(table, correction=False).pvalue
    per_level = []
    for j in tested:
        two = np.column_stack([table[:, j], table.sum(axis=1) - table[:, j]])
        per_level.append(stats.chi2_contingency(two, correction=False).pvalue)
    return float(min(whole, min(1.0, len(tested) * min(per_level)))) if tested else float(whole)


def test_chi2_levels_by_monte_carlo_is_scipys_monte_carlo_test_of_the_same_statistic() -> None:
    ref, cur = {"a": 50, "b": 3, "c": 1}, {"a": 3, "b": 3, "c": 2}  # merging cannot meet Cochran's rule
    options = MonteCarloOptions(resamples=300, exceedances=1_000, seed=5)  # runs to the end
    outcome = LEVELS.configured(DriftOptions(monte_carlo=options)).compute(
        labels(ref), labels(cur), ColumnKind.CATEGORICAL
    )
    assert outcome.details["p_value_method"] == "monte_carlo"
    table = table_of(ref, cur)
    k = table.shape[1]
    tested = [
        j
        for j in range(k)
        if (
            stats.contingency.expected_freq(np.column_stack([table[:, j], table.sum(axis=1) - table[:, j]]))
            >= 5
        ).all()
    ]
    assert outcome.details["levels_tested"] == len(tested)
    sampler = stats.random_table(table.sum(axis=1), table.sum(axis=0), seed=np.random.default_rng(5))

    def statistic(flat: np.ndarray, axis: int) -> np.ndarray:
        rows = flat.reshape(-1, 2 * k)
        return np.array([min_p_by_hand(row, tested, k) for row in rows]).reshape(flat.shape[:-1])

    expected = stats.monte_carlo_test(
        table.ravel(),
        lambda size: sampler.rvs(size=size[0]).reshape(size),
        statistic,
        n_resamples=300,
        alternative="less",
    )
    assert outcome.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert outcome.details["resamples"] == 300 and not outcome.details["stopped_early"]


@settings(max_examples=40, deadline=None)
@given(
    reference=st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=40),
    current=st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=40),
)
def test_ks_on_small_samples_is_scipys_exact_mode(reference: list[float], current: list[float]) -> None:
    outcome = KS.compute(np.array(reference), np.array(current), ColumnKind.NUMERICAL)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exact = stats.ks_2samp(reference, current, method="exact")
    if caught:  # scipy's exact computation gave up (it says so) and fell back: so does ours, saying so
        assert outcome.details["p_value_method"] == "asymp" and outcome.details["warnings"]
    else:
        assert outcome.details["p_value_method"] == "exact"
    assert outcome.statistic == pytest.approx(exact.statistic, abs=1e-12)
    assert outcome.p_value == pytest.approx(exact.pvalue, rel=1e-9, abs=1e-12)


def test_sixty_rows_against_a_large_reference_merge_rare_levels_and_say_so() -> None:
    rng = np.random.default_rng(3)
    shares = np.array([0.4, 0.3, 0.2, 0.05, 0.03, 0.015, 0.005])
    names = [f"l{i}" for i in range(len(shares))]
    ref = dict(zip(names, rng.multinomial(20_000, shares).tolist(), strict=True))
    cur = dict(zip(names, rng.multinomial(60, shares).tolist(), strict=True))
    result = only(ref, cur)
    assert result.test == "chi2_levels" and result.status is Status.OK
    assert "fail Cochran's rule" in result.details["chosen_by"]
    assert "rare levels merged into one" in result.details["chosen_by"]
    assert result.details["p_value_method"] == "asymptotic, rare levels merged"
    assert RARE not in result.details["categories"]  # charts show every level, as counted
    assert set(result.details["merged_levels"]) == {"l3", "l4", "l5", "l6"}
