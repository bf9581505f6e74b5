"""A window summarised in pieces with compact numerical summaries (plan.py), merged and judged by
compare_summaries, gives what compare_datasets gives on the window's rows: every statistic and p-value
of chi2, PSI, Jensen-Shannon, Hellinger and exactly merged KS identical, Wasserstein within its bound,
the same row counts and column quality."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from monitor.drift import (
    ColumnKind,
    ColumnOptions,
    CurrentSummary,
    DatasetDrift,
    DriftOptions,
    Status,
    build_profile,
    compare_datasets,
    compare_summaries,
)
from monitor.drift.grid import EXACT_LIMIT
from monitor.drift.plan import compact_plan, summarise_piece
from monitor.drift.sketch import SKETCH_K

from .strategies import categories, finite_floats

ALL_TESTS = ("ks", "chi2", "psi", "wasserstein", "jensenshannon", "hellinger")
NUMERICAL = {name: ColumnOptions(kind=ColumnKind.NUMERICAL) for name in ("x", "t", "k")}
OPTIONS = DriftOptions(tests=ALL_TESTS, columns=NUMERICAL)
maybe_missing = st.one_of(st.just(math.nan), st.just(math.inf), st.just(-math.inf))


@st.composite
def frames(draw: st.DrawFn, min_rows: int = 0) -> pd.DataFrame:
    """Continuous floats, ties, whole numbers with few distinct values, categories; NaN and inf among them."""
    n = draw(st.integers(min_rows, 160))
    x = draw(st.lists(st.one_of(finite_floats, maybe_missing), min_size=n, max_size=n))
    t = draw(st.lists(st.one_of(st.integers(0, 30).map(float), maybe_missing), min_size=n, max_size=n))
    k = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    c = draw(st.lists(st.one_of(categories, st.none()), min_size=n, max_size=n))
    return pd.DataFrame({"x": x, "t": t, "k": k, "c": pd.Series(c, dtype=object)})


def in_pieces(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    cuts: list[int],
    options: DriftOptions,
    exact_limit: int = EXACT_LIMIT,
    sketch_k: int = SKETCH_K,
) -> DatasetDrift:
    profile = build_profile(reference, options)
    summarise = compact_plan(profile, options, exact_limit=exact_limit, sketch_k=sketch_k)
    bounds = [0, *sorted(min(c, len(current)) for c in cuts), len(current)]
    pieces = [summarise_piece(current.iloc[a:b], summarise) for a, b in itertools.pairwise(bounds)]
    return compare_summaries(profile, functools.reduce(CurrentSummary.merge, pieces), options)


def assert_same_verdicts(compact: DatasetDrift, local: DatasetDrift, exact_ks: bool = True) -> None:
    """Every result as the local engine's; Wasserstein (and KS from a sketch) within their bounds."""
    assert (compact.reference_rows, compact.current_rows) == (local.reference_rows, local.current_rows)
    assert compact.columns == local.columns
    assert len(compact.results) == len(local.results)
    for mine, theirs in zip(compact.results, local.results, strict=True):
        assert (mine.column, mine.test, mine.status) == (theirs.column, theirs.test, theirs.status)
        if mine.status is not Status.OK:
            assert mine.details["reason"] == theirs.details["reason"]
            continue
        bound = mine.details.get("error_bound", 0.0)
        if mine.test == "wasserstein" or (mine.test == "ks" and not exact_ks):
            assert mine.statistic is not None and theirs.statistic is not None
            assert abs(mine.statistic - theirs.statistic) <= bound + 1e-9 * max(1.0, theirs.statistic)
            continue
        assert (mine.statistic, mine.p_value) == (theirs.statistic, theirs.p_value)
        assert mine.drifted == theirs.drifted
        if mine.test == "ks":
            assert mine.details["computed_from"] == "exact_merge"
            for key in ("statistic_location", "statistic_sign", "p_value_method"):
                assert mine.details[key] == theirs.details[key]


@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")
@settings(max_examples=60, deadline=None)
@given(reference=frames(min_rows=1), current=frames(), cuts=st.lists(st.integers(0, 160), max_size=4))
def test_a_window_in_compact_pieces_is_judged_as_the_whole(
    reference: pd.DataFrame, current: pd.DataFrame, cuts: list[int]
) -> None:
    local = compare_datasets(reference, current, OPTIONS)
    assert_same_verdicts(in_pieces(reference, current, cuts, OPTIONS), local)


def test_ks_of_the_merged_pieces_is_scipys_on_the_whole_window() -> None:
    rng = np.random.default_rng(12)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 2000), "t": rng.integers(0, 40, 2000).astype(float)})
    current = pd.DataFrame({"x": rng.normal(0.1, 1.2, 7000), "t": rng.integers(2, 40, 7000).astype(float)})
    current.loc[::11, "x"] = np.nan
    result = in_pieces(reference, current, [1000, 1000, 4000], DriftOptions(tests=("ks",), columns=NUMERICAL))
    for row in result.results:
        expected = stats.ks_2samp(reference[row.column], current[row.column].dropna())
        assert (row.statistic, row.p_value) == (expected.statistic, expected.pvalue)
        assert row.details["statistic_location"] == expected.statistic_location


def test_all_missing_and_absent_pieces_count_as_missing() -> None:
    rng = np.random.default_rng(2)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 500), "t": rng.integers(0, 20, 500).astype(float)})
    current = pd.DataFrame({"x": rng.normal(0, 1, 900), "t": rng.integers(0, 20, 900).astype(float)})
    current.loc[300:599, "x"] = np.nan  # the second piece has no values of x
    profile = build_profile(reference, OPTIONS)
    plan = compact_plan(profile, OPTIONS)
    first, second = summarise_piece(current.iloc[:300], plan), summarise_piece(current.iloc[300:600], plan)
    third = summarise_piece(current.iloc[600:].drop(columns="t"), plan)  # a piece without the column
    merged = first.merge(second).merge(third)
    local = compare_datasets(reference, current.assign(t=current["t"].where(current.index < 600)), OPTIONS)
    assert_same_verdicts(compare_summaries(profile, merged, OPTIONS), local)
    assert (local.columns[0].current_missing, local.columns[1].current_missing) == (300, 300)


def test_auto_chooses_and_judges_as_the_local_engine() -> None:
    rng = np.random.default_rng(6)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 3000), "c": rng.choice(list("abcd"), 3000)})
    small = pd.DataFrame({"x": rng.normal(0.1, 1, 400), "c": rng.choice(list("abcde"), 400)})
    large = pd.DataFrame({"x": rng.normal(0.1, 1, 9000), "c": rng.choice(list("abcde"), 9000)})
    options = DriftOptions()
    picks = ({"ks", "chi2_levels"}, {"wasserstein", "jensenshannon"})
    for current, chosen in zip((small, large), picks, strict=True):
        local = compare_datasets(reference, current, options)
        assert_same_verdicts(in_pieces(reference, current, [150, 300], options), local)
        assert {r.test for r in local.results} == chosen


def test_a_sketched_ks_is_within_its_bound_and_says_so() -> None:
    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 5000)})
    current = pd.DataFrame({"x": rng.normal(0.05, 1, 20_000)})
    options = DriftOptions(tests=("ks", "psi"))
    compact = in_pieces(reference, current, [5000, 12_000], options, exact_limit=1000, sketch_k=128)
    assert_same_verdicts(compact, compare_datasets(reference, current, options), exact_ks=False)
    ks = compact.results[0]
    assert ks.details["computed_from"] == "kll_sketch" and 0 < ks.details["error_bound"] < 0.03
