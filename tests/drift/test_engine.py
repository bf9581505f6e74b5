from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from monitor.drift import (
    CONTRACT_TESTS,
    MIN_VALUES_PER_SIDE,
    ColumnKind,
    ColumnOptions,
    ColumnQuality,
    DatasetDrift,
    DriftOptions,
    Status,
    TestOutcome,
    TestResult,
    compare_datasets,
    registry,
)
from monitor.drift.ks import KSTest
from monitor.drift.pair import ColumnPair

from .strategies import categories, finite_floats

RNG = np.random.default_rng(7)
N = 300
# A healthy numerical column present in every case below: each bad-data test also checks that it
# is still judged, i.e. one bad column never takes the others down.
GOOD_REF = RNG.normal(0.0, 1.0, N)
GOOD_CUR = RNG.normal(0.0, 1.0, N)


def frames(ref: dict[str, object], cur: dict[str, object]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame({"good": GOOD_REF, **ref}), pd.DataFrame({"good": GOOD_CUR, **cur})


def result(drift: DatasetDrift, column: str, test: str) -> TestResult:
    (found,) = [r for r in drift.results if r.column == column and r.test == test]
    return found


def statuses(drift: DatasetDrift, column: str) -> set[Status]:
    return {r.status for r in drift.results if r.column == column}


def assert_good_still_judged(drift: DatasetDrift) -> None:
    ks = result(drift, "good", "ks")
    assert ks.status is Status.OK
    assert ks.statistic == pytest.approx(stats.ks_2samp(GOOD_REF, GOOD_CUR).statistic, abs=1e-9)
    assert result(drift, "good", "psi").status is Status.OK
    assert "good" in [c.column for c in drift.columns]


def quality(drift: DatasetDrift, column: str) -> ColumnQuality:
    (found,) = [c for c in drift.columns if c.column == column]
    return found


# --- which results exist ---------------------------------------------------------------------------


def test_one_result_per_column_and_fitting_test_in_column_order() -> None:
    ref, cur = frames({"city": ["a", "b"] * (N // 2)}, {"city": ["a", "b"] * (N // 2)})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert [(r.column, r.test) for r in drift.results] == [
        ("good", "ks"),
        ("good", "psi"),
        ("city", "chi2"),
        ("city", "psi"),
    ]
    assert [r.kind for r in drift.results] == [ColumnKind.NUMERICAL] * 2 + [ColumnKind.CATEGORICAL] * 2
    json.dumps(drift.to_dict())
    for r in drift.results:
        json.dumps(r.details)


def test_a_real_shift_is_detected_and_aggregated() -> None:
    ref, cur = frames(
        {"shifted": RNG.normal(0, 1, N), "city": ["a", "b", "c"] * (N // 3)},
        {"shifted": RNG.normal(3, 1, N), "city": ["a", "b", "c"] * (N // 3)},
    )
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS, drift_share=0.3))
    assert drift.drifted_columns == ("shifted",)
    assert drift.drift_share == pytest.approx(1 / 3)
    assert drift.dataset_drifted  # 1/3 >= 0.3
    assert not compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS, drift_share=0.5)).dataset_drifted


def test_drift_share_at_exactly_the_threshold_counts_as_drifted() -> None:
    ref, cur = frames({"shifted": RNG.normal(0, 1, N)}, {"shifted": RNG.normal(3, 1, N)})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS, drift_share=0.5))
    assert drift.drift_share == 0.5 and drift.dataset_drifted


def test_column_order_is_reference_then_current_only() -> None:
    ref = pd.DataFrame({"b": GOOD_REF, "a": GOOD_REF, "ref_only": GOOD_REF})
    cur = pd.DataFrame({"cur_only": GOOD_CUR, "a": GOOD_CUR, "b": GOOD_CUR})
    drift = compare_datasets(ref, cur, DriftOptions(tests=("ks",)))
    assert [r.column for r in drift.results] == ["b", "a", "ref_only", "cur_only"]


def test_non_string_column_names_are_reported_as_strings() -> None:
    drift = compare_datasets(
        pd.DataFrame({0: GOOD_REF}), pd.DataFrame({0: GOOD_CUR}), DriftOptions(tests=("ks",))
    )
    assert drift.results[0].column == "0"


# --- thresholds and per-column options -----------------------------------------------------------


def test_thresholds_per_test_and_per_column() -> None:
    ref, cur = frames({"x": RNG.normal(0, 1, N)}, {"x": RNG.normal(0.2, 1, N)})
    base = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert result(base, "x", "ks").threshold == 0.05 and result(base, "x", "psi").threshold == 0.2
    options = DriftOptions(
        tests=CONTRACT_TESTS, thresholds={"psi": 0.0}, columns={"x": ColumnOptions(thresholds={"ks": 1.0})}
    )
    drift = compare_datasets(ref, cur, options)
    assert result(drift, "x", "ks").threshold == 1.0 and result(drift, "x", "ks").drifted  # p < 1
    assert result(drift, "good", "psi").threshold == 0.0 and result(drift, "good", "psi").drifted
    assert result(drift, "good", "ks").threshold == 0.05


def test_per_column_tests_and_a_test_that_does_not_fit_is_reported_not_silent() -> None:
    ref, cur = frames({"x": RNG.normal(0, 1, N)}, {"x": RNG.normal(0, 1, N)})
    drift = compare_datasets(
        ref, cur, DriftOptions(tests=CONTRACT_TESTS, columns={"x": ColumnOptions(tests=("chi2", "ks"))})
    )
    assert result(drift, "x", "chi2").status is Status.NOT_APPLICABLE
    assert not result(drift, "x", "chi2").drifted
    assert result(drift, "x", "ks").status is Status.OK
    assert [r.test for r in drift.results if r.column == "x"] == ["chi2", "ks"]
    assert_good_still_judged(drift)


def test_kind_override_reads_strings_as_numbers_and_counts_the_unreadable() -> None:
    values = [str(v) for v in RNG.normal(0, 1, N)]
    ref, cur = frames({"s": values}, {"s": [*values[:-2], "n/a", "oops"]})
    options = DriftOptions(tests=CONTRACT_TESTS, columns={"s": ColumnOptions(kind=ColumnKind.NUMERICAL)})
    drift = compare_datasets(ref, cur, options)
    ks = result(drift, "s", "ks")
    assert ks.status is Status.OK
    assert ks.statistic == pytest.approx(
        stats.ks_2samp([float(v) for v in values], [float(v) for v in values[:-2]]).statistic, abs=1e-9
    )
    assert ks.details["current_non_numeric"] == 2
    assert quality(drift, "s").current_missing == 2
    assert quality(drift, "s").kind_reason == "set in options"
    assert_good_still_judged(drift)


# --- bad data: each case has a status, and the healthy column is still judged ----------------------


def test_nan_and_inf_are_dropped_and_counted_as_missing() -> None:
    x_ref = np.append(RNG.normal(0, 1, N - 3), [np.nan, np.inf, -np.inf])
    x_cur = np.append(RNG.normal(0, 1, N - 1), [np.nan])
    ref, cur = frames({"x": x_ref}, {"x": x_cur})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert result(drift, "x", "ks").status is Status.OK
    expected = stats.ks_2samp(x_ref[np.isfinite(x_ref)], x_cur[np.isfinite(x_cur)])
    assert result(drift, "x", "ks").p_value == pytest.approx(expected.pvalue, abs=1e-9)
    q = quality(drift, "x")
    assert (q.reference_missing, q.current_missing, q.reference_count, q.current_count) == (
        3,
        1,
        N - 3,
        N - 1,
    )
    assert_good_still_judged(drift)


@pytest.mark.parametrize("side", ["reference", "current"])
def test_all_missing_on_a_side(side: str) -> None:
    empty = [np.nan] * N
    full = list(RNG.normal(0, 1, N))
    ref, cur = frames(
        {"x": empty if side == "reference" else full}, {"x": full if side == "reference" else empty}
    )
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert statuses(drift, "x") == {Status.ALL_MISSING}
    assert all(r.statistic is None and not r.drifted for r in drift.results if r.column == "x")
    assert side in result(drift, "x", "ks").details["reason"]
    assert_good_still_judged(drift)
    assert drift.drifted_columns == () or "x" not in drift.drifted_columns


def test_all_missing_categorical() -> None:
    ref, cur = frames({"c": ["a", "b"] * (N // 2)}, {"c": [None] * N})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert statuses(drift, "c") == {Status.ALL_MISSING}
    assert quality(drift, "c").current_missing == N
    assert_good_still_judged(drift)


def test_constant_on_both_sides_with_the_same_value_is_judged_as_no_drift() -> None:
    ref, cur = frames({"k": [3.5] * N, "c": ["same"] * N}, {"k": [3.5] * N, "c": ["same"] * N})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    for column, test in [("k", "psi"), ("c", "chi2"), ("c", "psi")]:
        r = result(drift, column, test)
        assert r.status is Status.OK and r.statistic == 0.0 and not r.drifted
    assert quality(drift, "k").reference_constant and quality(drift, "k").current_constant
    assert_good_still_judged(drift)


def test_constant_reference_with_a_varying_current_is_real_drift() -> None:
    ref, cur = frames({"k": [0.5] * N}, {"k": RNG.normal(0, 1, N)})
    options = DriftOptions(tests=CONTRACT_TESTS, columns={"k": ColumnOptions(kind=ColumnKind.NUMERICAL)})
    drift = compare_datasets(ref, cur, options)
    ks = result(drift, "k", "ks")
    expected = stats.ks_2samp([0.5] * N, cur["k"])
    assert ks.status is Status.OK and ks.drifted
    assert ks.statistic == pytest.approx(expected.statistic, abs=1e-9)
    assert quality(drift, "k").reference_constant and not quality(drift, "k").current_constant
    assert "k" in drift.drifted_columns
    assert_good_still_judged(drift)


def test_a_single_value_on_a_side_is_insufficient_data() -> None:
    sparse = [np.nan] * (N - 1) + [1.5]
    ref, cur = frames({"x": RNG.normal(0, 1, N)}, {"x": sparse})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert statuses(drift, "x") == {Status.INSUFFICIENT_DATA}
    assert result(drift, "x", "ks").details["current_n"] == 1 < MIN_VALUES_PER_SIDE
    assert_good_still_judged(drift)


def test_a_single_row_current_window_does_not_raise_and_judges_nothing() -> None:
    ref = pd.DataFrame({"x": GOOD_REF, "c": ["a", "b"] * (N // 2)})
    drift = compare_datasets(ref, ref.iloc[:1], DriftOptions(tests=CONTRACT_TESTS))
    assert {r.status for r in drift.results} == {Status.INSUFFICIENT_DATA}
    assert drift.current_rows == 1
    assert (drift.drift_share, drift.dataset_drifted, drift.drifted_columns) == (0.0, False, ())


def test_an_empty_current_window() -> None:
    ref = pd.DataFrame({"good": GOOD_REF, "c": ["a", "b"] * (N // 2)})
    drift = compare_datasets(ref, ref.iloc[:0], DriftOptions(tests=CONTRACT_TESTS))
    assert {r.status for r in drift.results} == {Status.EMPTY_CURRENT}
    assert [(r.column, r.test) for r in drift.results] == [
        ("good", "ks"),
        ("good", "psi"),
        ("c", "chi2"),
        ("c", "psi"),
    ]
    assert (drift.drift_share, drift.dataset_drifted, drift.current_rows) == (0.0, False, 0)
    # and a later, non-empty window is judged as usual
    assert_good_still_judged(
        compare_datasets(
            ref, pd.DataFrame({"good": GOOD_CUR, "c": ["a"] * N}), DriftOptions(tests=CONTRACT_TESTS)
        )
    )


def test_an_empty_reference_is_insufficient_data() -> None:
    cur = pd.DataFrame({"good": GOOD_CUR})
    drift = compare_datasets(cur.iloc[:0], cur, DriftOptions(tests=CONTRACT_TESTS))
    assert {r.status for r in drift.results} == {Status.INSUFFICIENT_DATA}


def test_unseen_categories_count_and_are_reported() -> None:
    ref_c = ["a", "b", "c"] * (N // 3)
    cur_c = ["a", "b", "z", "y"] * (N // 4)
    ref, cur = frames({"c": ref_c}, {"c": cur_c})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert quality(drift, "c").new_categories == ("y", "z")
    chi2 = result(drift, "c", "chi2")
    union = ["a", "b", "c", "y", "z"]
    table = [[ref_c.count(k) for k in union], [cur_c.count(k) for k in union]]
    assert chi2.status is Status.OK and chi2.drifted
    assert chi2.statistic == pytest.approx(
        stats.chi2_contingency(table, correction=False).statistic, abs=1e-9
    )
    assert chi2.details["categories"] == union and chi2.details["current_counts"] == table[1]
    assert_good_still_judged(drift)


def test_mixed_types_are_judged_on_their_string_form() -> None:
    mixed_ref = pd.Series([1, "a", 2.5, None] * (N // 4), dtype=object)
    mixed_cur = pd.Series([1, "a", "a", "b"] * (N // 4), dtype=object)
    ref, cur = frames({"m": mixed_ref}, {"m": mixed_cur})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert quality(drift, "m").kind is ColumnKind.CATEGORICAL
    assert quality(drift, "m").new_categories == ("b",)
    chi2 = result(drift, "m", "chi2")
    assert chi2.status is Status.OK
    assert chi2.details["categories"] == ["1", "2.5", "a", "b"]
    table = [[N // 4, N // 4, N // 4, 0], [N // 4, 0, N // 2, N // 4]]
    assert chi2.p_value == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, abs=1e-9)
    assert_good_still_judged(drift)


def test_an_integer_column_that_became_float_in_one_window_keeps_its_categories() -> None:
    ref, cur = frames({"flag": [0, 1] * (N // 2)}, {"flag": [0.0, 1.0] * (N // 2 - 1) + [np.nan, 1.0]})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert quality(drift, "flag").new_categories == ()
    assert result(drift, "flag", "chi2").details["categories"] == ["0", "1"]
    assert not result(drift, "flag", "psi").drifted
    assert_good_still_judged(drift)


@pytest.mark.parametrize(
    ("present_in", "status"),
    [("reference", Status.MISSING_IN_CURRENT), ("current", Status.MISSING_IN_REFERENCE)],
)
def test_a_column_missing_on_one_side(present_in: str, status: Status) -> None:
    extra: dict[str, object] = {"x": RNG.normal(0, 1, N)}
    ref, cur = frames(extra if present_in == "reference" else {}, extra if present_in == "current" else {})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert statuses(drift, "x") == {status}
    assert [r.test for r in drift.results if r.column == "x"] == ["ks", "psi"]  # kind from the side it is on
    assert_good_still_judged(drift)
    # the same when asked for by name
    named = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS, include=("x", "good")))
    assert [r.column for r in named.results] == ["x", "x", "good", "good"]
    assert statuses(named, "x") == {status}


def test_skipped_columns_get_no_tests_but_a_quality_entry_with_the_reason() -> None:
    ids = [f"id-{i}" for i in range(N)]
    ref, cur = frames(
        {"id": ids, "ts": pd.date_range("2024", periods=N)},
        {"id": ids, "ts": pd.date_range("2025", periods=N)},
    )
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert not [r for r in drift.results if r.column in ("id", "ts")]
    assert quality(drift, "id").kind is ColumnKind.SKIPPED and "ID-like" in quality(drift, "id").kind_reason
    assert quality(drift, "ts").kind_reason == "datetime"
    assert_good_still_judged(drift)


def test_a_failing_test_yields_status_error_and_the_rest_is_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(KSTest):
        name = "broken"

        def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
            raise FloatingPointError("boom")

    monkeypatch.setitem(registry._TESTS, "broken", Broken())
    ref, cur = frames({}, {})
    drift = compare_datasets(ref, cur, DriftOptions(tests=("broken", "ks", "psi")))
    broken = result(drift, "good", "broken")
    assert broken.status is Status.ERROR and not broken.drifted and broken.statistic is None
    assert "boom" in broken.details["reason"]
    assert_good_still_judged(drift)


# --- errors the caller must hear about -------------------------------------------------------------


def test_an_unknown_test_name_is_a_value_error_naming_it_and_the_known_ones() -> None:
    ref, cur = frames({}, {})
    known = (
        "chi2, chi2_levels, chi2_mc, fisher, hellinger, jensenshannon, ks, psi, wasserstein, "
        "auto, evidently:<name>"
    )
    with pytest.raises(ValueError, match=rf"unknown drift test\(s\): kss; known tests: {known}"):
        compare_datasets(ref, cur, DriftOptions(tests=("kss",)))
    with pytest.raises(ValueError, match="wasserstien"):
        compare_datasets(ref, cur, DriftOptions(columns={"good": ColumnOptions(tests=("wasserstien",))}))
    with pytest.raises(ValueError, match="psii"):
        compare_datasets(ref, cur, DriftOptions(thresholds={"psii": 0.1}))


def test_get_test_error_is_a_key_error_listing_known_tests() -> None:
    with pytest.raises(KeyError) as caught:
        registry.get_test("nope")
    known = "chi2, chi2_levels, chi2_mc, fisher, hellinger, jensenshannon, ks, psi, wasserstein"
    assert str(caught.value) == f"unknown drift test 'nope'; known tests: {known}"


def test_an_included_column_on_neither_side_is_an_error() -> None:
    ref, cur = frames({}, {})
    with pytest.raises(ValueError, match=r"columns not found in either dataset: nope, gone; available: good"):
        compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS, include=("good", "nope", "gone")))


def test_include_selects_and_orders_columns() -> None:
    ref, cur = frames(
        {"c": ["a", "b"] * (N // 2), "x": GOOD_REF}, {"c": ["a", "b"] * (N // 2), "x": GOOD_CUR}
    )
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS, include=("x", "c", "x")))
    assert [q.column for q in drift.columns] == ["x", "c"]


def test_duplicated_column_names_are_an_error() -> None:
    ref = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"])
    with pytest.raises(ValueError, match="duplicated column names: a"):
        compare_datasets(ref, ref, DriftOptions(tests=CONTRACT_TESTS))


# --- properties -----------------------------------------------------------------------------------


@st.composite
def datasets(draw: st.DrawFn, max_rows: int = 80) -> tuple[pd.DataFrame, pd.DataFrame]:
    def frame(n: int) -> pd.DataFrame:
        x = draw(st.lists(st.one_of(finite_floats, st.just(math.nan)), min_size=n, max_size=n))
        c = draw(st.lists(st.one_of(categories, st.none()), min_size=n, max_size=n))
        return pd.DataFrame({"x": x, "c": pd.Series(c, dtype=object)})

    return frame(draw(st.integers(0, max_rows))), frame(draw(st.integers(0, max_rows)))


ALL_TESTS = ("ks", "chi2", "psi", "wasserstein", "jensenshannon", "hellinger")


@settings(max_examples=50, deadline=None)
@given(data=datasets(max_rows=220), seed=st.integers(0, 2**32 - 1))
def test_reordering_rows_changes_nothing(data: tuple[pd.DataFrame, pd.DataFrame], seed: int) -> None:
    ref, cur = data
    options = DriftOptions(tests=ALL_TESTS, columns={"x": ColumnOptions(kind=ColumnKind.NUMERICAL)})
    rng = np.random.default_rng(seed)
    shuffled = compare_datasets(
        ref.iloc[rng.permutation(len(ref))], cur.iloc[rng.permutation(len(cur))], options
    )
    assert shuffled == compare_datasets(ref, cur, options)


@settings(max_examples=50, deadline=None)
@given(data=datasets())
def test_any_data_gives_honest_results(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ref, cur = data
    drift = compare_datasets(
        ref, cur, DriftOptions(tests=CONTRACT_TESTS, columns={"x": ColumnOptions(kind=ColumnKind.NUMERICAL)})
    )
    assert len(drift.results) == 4
    for r in drift.results:
        if r.status is Status.OK:
            assert r.statistic is not None and math.isfinite(r.statistic)
        else:
            assert not r.drifted and r.statistic is None
        if r.test == "psi" and r.statistic is not None:
            assert r.statistic >= 0.0
    json.dumps(drift.to_dict())


@settings(max_examples=50, deadline=None)
@given(data=datasets())
def test_identical_datasets_never_drift(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ref, _ = data
    drift = compare_datasets(ref, ref.copy(), DriftOptions(tests=CONTRACT_TESTS))
    assert not drift.dataset_drifted and drift.drifted_columns == ()
    for r in drift.results:
        if r.status is Status.OK and r.test in ("ks", "psi"):
            assert r.statistic == 0.0


def test_odd_object_values_never_raise_and_other_columns_are_judged() -> None:
    lists = pd.Series([[i] for i in range(N)], dtype=object)  # unhashable, all distinct: ID-like
    dicts = pd.Series([{"k": i % 3} for i in range(N)], dtype=object)  # unhashable, few: categorical
    ref, cur = frames({"lists": lists, "dicts": dicts}, {"lists": lists, "dicts": dicts})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert quality(drift, "lists").kind is ColumnKind.SKIPPED
    assert result(drift, "dicts", "chi2").status is Status.OK
    assert result(drift, "dicts", "chi2").details["categories"] == ["{'k': 0}", "{'k': 1}", "{'k': 2}"]
    assert_good_still_judged(drift)


def test_the_kind_comes_from_the_current_side_when_the_reference_has_no_values() -> None:
    ref, cur = frames({"c": [None] * N}, {"c": ["a", "b"] * (N // 2)})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert quality(drift, "c").kind is ColumnKind.CATEGORICAL
    assert statuses(drift, "c") == {Status.ALL_MISSING}
    assert_good_still_judged(drift)


# --- more bad data ---------------------------------------------------------------------------------


def test_strings_in_a_numerical_column_of_the_current_window_are_counted_not_fatal() -> None:
    x_cur = pd.Series([*RNG.normal(0, 1, N - 3), "n/a", "oops", None], dtype=object)
    ref, cur = frames({"x": RNG.normal(0, 1, N)}, {"x": x_cur})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    ks = result(drift, "x", "ks")
    assert ks.status is Status.OK and quality(drift, "x").kind is ColumnKind.NUMERICAL
    assert ks.details["current_non_numeric"] == 2 and ks.details["current_n"] == N - 3
    assert quality(drift, "x").current_missing == 3
    expected = stats.ks_2samp(ref["x"], x_cur[: N - 3].astype(float))
    assert ks.p_value == pytest.approx(expected.pvalue, abs=1e-9)
    assert_good_still_judged(drift)


def test_a_column_of_only_infinities_is_all_missing() -> None:
    ref, cur = frames({"x": RNG.normal(0, 1, N)}, {"x": [np.inf, -np.inf] * (N // 2)})
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert statuses(drift, "x") == {Status.ALL_MISSING}
    assert_good_still_judged(drift)


def test_distances_below_their_minimum_are_insufficient_data_while_p_values_are_judged() -> None:
    small_ref, small_cur = RNG.normal(0, 1, 60), RNG.normal(3, 1, 60)
    ref, cur = frames(
        {"x": np.append(small_ref, [np.nan] * (N - 60))}, {"x": np.append(small_cur, [np.nan] * (N - 60))}
    )
    drift = compare_datasets(ref, cur, DriftOptions(tests=("ks", "psi", "wasserstein")))
    assert result(drift, "x", "ks").status is Status.OK and result(drift, "x", "ks").drifted
    for test in ("psi", "wasserstein"):
        r = result(drift, "x", test)
        assert r.status is Status.INSUFFICIENT_DATA and not r.drifted
        assert r.details["reason"] == f"60 reference values, fewer than the 100 {test} needs"
    assert result(drift, "good", "psi").status is Status.OK


def test_booleans_and_pandas_strings_with_missing_values_are_categories() -> None:
    ref, cur = frames(
        {"b": [True, False] * (N // 2), "s": pd.array(["u", "v", None] * (N // 3), dtype="string")},
        {"b": [True] * N, "s": pd.array(["u", "w", pd.NA] * (N // 3), dtype="string")},
    )
    drift = compare_datasets(ref, cur, DriftOptions(tests=CONTRACT_TESTS))
    assert result(drift, "b", "chi2").details["categories"] == ["False", "True"]
    assert result(drift, "b", "chi2").drifted
    s = result(drift, "s", "chi2")
    assert s.status is Status.OK and s.details["categories"] == ["u", "v", "w"]
    assert quality(drift, "s").new_categories == ("w",) and quality(drift, "s").current_missing == N // 3
    assert_good_still_judged(drift)


def test_values_too_large_for_the_arithmetic_give_an_error_status_not_a_crash() -> None:
    huge = RNG.uniform(-1, 1, N) * 1.7e308  # differences and squares overflow to inf
    ref, cur = frames({"x": huge}, {"x": huge[::-1] * 0.9})
    drift = compare_datasets(ref, cur, DriftOptions(tests=("ks", "wasserstein")))
    assert result(drift, "x", "ks").status is Status.OK  # KS only compares and counts
    w = result(drift, "x", "wasserstein")
    assert w.status is Status.ERROR and not w.drifted and w.statistic is None
    assert w.details["reason"] == "non-finite statistic or p-value"
    assert result(drift, "good", "ks").status is Status.OK


def test_threads_change_nothing() -> None:
    ref, cur = frames(
        {"c": RNG.choice(["a", "b"], N), "y": RNG.normal(0, 1, N)},
        {"c": RNG.choice(["a", "b", "z"], N), "y": RNG.normal(0.1, 1, N)},
    )
    tests = ("ks", "chi2", "psi", "wasserstein", "jensenshannon", "hellinger")
    serial = compare_datasets(ref, cur, DriftOptions(tests=tests, parallel=False))
    threaded = compare_datasets(ref, cur, DriftOptions(tests=tests, parallel=True))
    assert threaded == serial


def test_every_result_is_json_with_every_option() -> None:
    ref, cur = frames(
        {"c": RNG.choice(["a", "b"], N), "y": RNG.normal(0, 1, N)},
        {"c": RNG.choice(["a", "b", "z"], N), "y": RNG.normal(0.1, 1, N)},
    )
    options = DriftOptions(
        tests=(*ALL_TESTS, "auto"),
        thresholds={"psi": "learned", "ks": "learned"},
        correction="benjamini-hochberg",
    )
    drift = compare_datasets(ref, cur, options)
    text = json.dumps([r.details for r in drift.results])
    assert "chunk_values" in text and "p_value_adjusted" in text
    json.dumps(drift.to_dict())
    assert all(r.details["effect_size"] == r.effect_size for r in drift.results if r.status is Status.OK)
