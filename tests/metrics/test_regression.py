from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from monitor.metrics import regression_metrics

Z = 1.959963984540054


@pytest.fixture
def log() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    actual = rng.gamma(3, 10, 800)
    return actual, actual + rng.normal(0, 4, 800)


def test_every_regression_metric_is_scikit_learns(log: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = log
    got = {m.metric: m for m in regression_metrics(["mae", "rmse", "mape", "r2"], y, p)}
    assert got["mae"].value == pytest.approx(skm.mean_absolute_error(y, p), abs=1e-12)
    assert got["rmse"].value == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)), abs=1e-12)
    assert got["mape"].value == pytest.approx(skm.mean_absolute_percentage_error(y, p), abs=1e-12)
    assert got["r2"].value == pytest.approx(skm.r2_score(y, p), abs=1e-12)
    assert all(m.sample_count == 800 and m.status == "ok" for m in got.values())


def test_regression_intervals(log: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = log
    mae, rmse, mape, r2 = regression_metrics(["mae", "rmse", "mape", "r2"], y, p)
    n = len(y)
    for metric, terms in ((mae, np.abs(y - p)), (mape, np.abs(y - p) / np.abs(y))):
        half = Z * terms.std(ddof=1) / np.sqrt(n)
        assert (metric.ci_low, metric.ci_high) == pytest.approx(
            (terms.mean() - half, terms.mean() + half), abs=1e-12
        )
    squared = (y - p) ** 2
    half = Z * squared.std(ddof=1) / np.sqrt(n)
    assert rmse.ci_low == pytest.approx(np.sqrt(squared.mean() - half), abs=1e-12)
    assert rmse.ci_high == pytest.approx(np.sqrt(squared.mean() + half), abs=1e-12)
    # Delta method from the moments (mean e², mean y, mean y²): R² = 1 - a / (c - b²).
    moments = np.column_stack([squared, y, y**2])
    a, b, c = moments.mean(axis=0)
    gradient = np.array([-1 / (c - b**2), -2 * a * b / (c - b**2) ** 2, a / (c - b**2) ** 2])
    se = np.sqrt(gradient @ np.cov(moments, rowvar=False) @ gradient / n)
    assert r2.ci_low == pytest.approx(r2.value - Z * se, abs=1e-9)
    assert r2.ci_high == pytest.approx(r2.value + Z * se, abs=1e-9)


def test_missing_values_are_left_out_and_a_constant_target_is_undefined() -> None:
    mae, r2 = regression_metrics(["mae", "r2"], [1.0, 2.0, np.nan, 4.0], [1.5, np.nan, 3.0, 3.0])
    assert (mae.value, mae.sample_count) == (0.75, 2)
    assert r2.value == pytest.approx(skm.r2_score([1.0, 4.0], [1.5, 3.0])) and r2.sample_count == 2
    (constant,) = regression_metrics(["r2"], [3.0, 3.0, 3.0], [2.0, 3.0, 4.0])
    assert (constant.value, constant.status) == (None, "constant_target")
    assert regression_metrics(["mae"], [], [])[0].status == "no_labels"
