"""`evidently:<name>`: Evidently's stat tests through a thin adapter, telemetry off."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitor.drift import ColumnKind, Direction, DriftOptions, Status, TestResult, compare_datasets, get_test

RNG = np.random.default_rng(31)
N = 400
REF = pd.DataFrame({"x": RNG.normal(0, 1, N), "c": RNG.choice(["a", "b", "c"], N)})
CUR = pd.DataFrame({"x": RNG.normal(0.3, 1, N), "c": RNG.choice(["a", "b", "c"], N, p=[0.6, 0.2, 0.2])})


def by_test(options: DriftOptions) -> dict[tuple[str, str], TestResult]:
    return {(r.column, r.test): r for r in compare_datasets(REF, CUR, options).results}


def test_evidently_ks_is_scipy_ks_and_keeps_evidently_verdict() -> None:
    results = by_test(DriftOptions(tests=("evidently:ks",)))
    ks = results["x", "evidently:ks"]
    expected = stats.ks_2samp(REF["x"], CUR["x"]).pvalue
    assert ks.status is Status.OK
    assert ks.p_value == pytest.approx(expected, abs=1e-9) and ks.statistic == ks.p_value
    assert ks.drifted == (expected <= 0.05)  # Evidently's own rule for ks: p <= threshold
    assert ks.details["evidently_test"] == "ks"
    assert ("c", "evidently:ks") not in results  # numerical only, as in Evidently


def test_telemetry_is_switched_off_before_evidently_is_imported() -> None:
    get_test("evidently:psi")
    assert os.environ["DO_NOT_TRACK"] == "1"
    assert os.environ["ITERATIVE_DO_NOT_TRACK"] == "1"
    assert os.environ["EVIDENTLY_DISABLE_TELEMETRY"] == "1"


def test_distances_and_both_kinds_and_the_threshold_is_passed_on() -> None:
    get_test("evidently:jensenshannon")  # the adapter imports Evidently, quieting its pandas warnings
    from evidently.legacy.calculations.stattests import jensenshannon_stat_test
    from evidently.legacy.core import ColumnType

    js = get_test("evidently:jensenshannon")
    assert js.direction is Direction.DISTANCE and js.accepts(ColumnKind.CATEGORICAL)
    assert js.accepts(ColumnKind.NUMERICAL) and js.default_threshold == 0.1
    results = by_test(
        DriftOptions(tests=("evidently:jensenshannon",), thresholds={"evidently:jensenshannon": 0.01})
    )
    for column, kind in (("x", ColumnType.Numerical), ("c", ColumnType.Categorical)):
        expected = jensenshannon_stat_test(REF[column], CUR[column], kind, 0.01)
        result = results[column, "evidently:jensenshannon"]
        assert result.statistic == pytest.approx(expected.drift_score, abs=1e-9)
        assert result.p_value is None and result.threshold == 0.01
        assert result.drifted == bool(expected.drifted)


def test_an_unknown_evidently_test_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"Evidently has no stat test 'nope'; its tests: .*anderson"):
        compare_datasets(REF, CUR, DriftOptions(tests=("evidently:nope",)))


def test_a_window_summarised_in_pieces_is_not_applicable_to_evidently_on_numbers() -> None:
    from monitor.drift import build_profile, compare_summaries
    from monitor.drift.plan import compact_plan, summarise_piece

    options = DriftOptions(tests=("evidently:ks", "evidently:chisquare"))
    profile = build_profile(REF, options)
    plan = compact_plan(profile, options)
    merged = summarise_piece(CUR.iloc[:100], plan).merge(summarise_piece(CUR.iloc[100:], plan))
    results = {(r.column, r.test): r for r in compare_summaries(profile, merged, options).results}
    ks = results["x", "evidently:ks"]
    assert ks.status is Status.NOT_APPLICABLE
    assert "needs the current window's values" in ks.details["reason"]
    assert results["c", "evidently:chisquare"].status is Status.OK  # category counts merge exactly
