"""DLE from merged partial summaries against the single-process estimates on the whole window."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pandas as pd
import pytest

from monitor.metrics.loss_estimation import estimate_regression, fit_loss_estimator
from monitor.metrics.partial_dle import DlePartial, dle_estimates, dle_partial


def _rows(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    frame = pd.DataFrame({"x": rng.normal(size=n), "group": rng.choice(["a", "b", "c"], n)})
    prediction = 2 * frame["x"].to_numpy()
    noise = rng.normal(0, 0.5 + np.abs(frame["x"].to_numpy()) + (frame["group"] == "c").to_numpy())
    return frame, prediction, prediction + noise


def test_dle_estimates_equal_the_single_process_ones() -> None:
    rng = np.random.default_rng(31)
    estimator = fit_loss_estimator(*_rows(rng, 3000))
    frame, prediction, _ = _rows(rng, 1200)
    prediction[::29] = np.nan
    expected = estimate_regression(["mae", "rmse"], estimator, frame, prediction)
    cuts = [(0, 0), (0, 1), (1, 500), (500, 500), (500, 1200)]
    parts = [dle_partial(estimator, frame.iloc[a:b], prediction[a:b]) for a, b in cuts]
    for merged in (reduce(DlePartial.merge, parts), reduce(DlePartial.merge, reversed(parts), DlePartial())):
        found = dle_estimates(merged, ["mae", "rmse"], estimator)
        for f, e in zip(found, expected, strict=True):
            assert f.exact and (f.value.metric, f.value.row_count, f.value.status) == (
                e.metric,
                e.row_count,
                "ok",
            )
            for a, b in ((f.value.value, e.value), (f.value.sampling_error, e.sampling_error)):
                assert a == pytest.approx(b, abs=1e-9)
            assert (f.value.lower, f.value.upper) == pytest.approx((e.lower, e.upper), abs=1e-9)
    assert [f.value.status for f in dle_estimates(DlePartial(), ["mae"], estimator)] == ["no_rows"]
    no_predictions = dle_partial(estimator, frame.iloc[:3], np.full(3, np.nan))
    assert [f.value.status for f in dle_estimates(no_predictions, ["rmse"], estimator)] == ["no_predictions"]
