from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from scipy import stats

from monitor.drift import ColumnKind, ColumnOptions, DriftOptions, Status, compare_datasets, get_test

from .strategies import numeric_samples

KS = get_test("ks")


# scipy warns when its exact p-value fails and it falls back to the asymptotic one; that is its
# documented behaviour, which both sides of this comparison share.
@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")
@settings(max_examples=50, deadline=None)
@given(reference=numeric_samples, current=numeric_samples)
def test_ks_matches_scipy(reference: list[float], current: list[float]) -> None:
    outcome = KS.compute(np.array(reference), np.array(current), ColumnKind.NUMERICAL)
    expected = stats.ks_2samp(reference, current)
    assert outcome.statistic == pytest.approx(expected.statistic, abs=1e-9, rel=1e-9)
    assert outcome.p_value == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9)


@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")
@settings(max_examples=50, deadline=None)
@given(reference=numeric_samples, current=numeric_samples)
def test_ks_through_the_engine_drops_missing_and_matches_scipy(
    reference: list[float], current: list[float]
) -> None:
    # Float columns with NaN and inf sprinkled in; the engine must drop them and compute as scipy does.
    ref = pd.DataFrame({"x": [*reference, np.nan, np.inf]})
    cur = pd.DataFrame({"x": [-np.inf, *current, np.nan]})
    # Forced numerical: a draw of few whole numbers would otherwise (rightly) be judged categorical.
    options = DriftOptions(tests=("ks",), columns={"x": ColumnOptions(kind=ColumnKind.NUMERICAL)})
    (result,) = compare_datasets(ref, cur, options).results
    expected = stats.ks_2samp(reference, current)
    assert result.status is Status.OK
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-9, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9)
    assert result.drifted == (expected.pvalue < 0.05)
    quality = compare_datasets(ref, cur, options).columns[0]
    assert (quality.reference_missing, quality.current_missing) == (2, 2)


@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")
@settings(max_examples=50, deadline=None)
@given(sample=numeric_samples)
def test_identical_samples_give_ks_zero(sample: list[float]) -> None:
    outcome = KS.compute(np.array(sample), np.array(sample), ColumnKind.NUMERICAL)
    assert outcome.statistic == 0.0
    assert outcome.p_value == pytest.approx(1.0)
    assert not KS.is_drifted(outcome, 0.05)


def test_ks_is_a_p_value_test_on_numerical_columns_only() -> None:
    assert KS.accepts(ColumnKind.NUMERICAL)
    assert not KS.accepts(ColumnKind.CATEGORICAL)
    assert KS.default_threshold == 0.05


def test_ks_detects_a_shift_and_reports_sample_sizes() -> None:
    rng = np.random.default_rng(1)
    reference, current = rng.normal(0, 1, 500), rng.normal(0.5, 1, 400)
    outcome = KS.compute(reference, current, ColumnKind.NUMERICAL)
    assert KS.is_drifted(outcome, 0.05)
    assert outcome.details["reference_n"] == 500 and outcome.details["current_n"] == 400


def test_the_engine_keeps_scipy_warnings_with_the_result_instead_of_emitting_them() -> None:
    reference, current = [0.0] * 14, [0.0] * 13 + [1.0]  # exact p-value fails for these in scipy
    drift = compare_datasets(
        pd.DataFrame({"x": reference}),
        pd.DataFrame({"x": current}),
        DriftOptions(tests=("ks",), columns={"x": ColumnOptions(kind=ColumnKind.NUMERICAL)}),
    )
    (result,) = drift.results
    assert result.status is Status.OK
    assert any("ks_2samp" in w for w in result.details["warnings"])
