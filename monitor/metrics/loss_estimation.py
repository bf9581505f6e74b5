"""Regression performance without labels: direct loss estimation (DLE), as NannyML does it. Pure:
DataFrames in, estimated metrics out.

On the labelled reference a gradient-boosted model (scikit-learn's HistGradientBoostingRegressor,
Poisson loss so a predicted loss is never negative) learns each row's absolute error |y - y_hat| from
the features and the prediction; a second one learns the squared error. A window's estimated MAE is
the mean predicted absolute error of its rows; its RMSE the square root of the mean predicted squared
error.

Sampling error. The realised MAE is the mean of the window's absolute errors, each random around its
predicted value. On a holdout of the reference (HOLDOUT_SHARE, fixed seed) the spread of a loss
around its prediction is measured relative to the prediction, c = mean((l - l_hat)^2) / mean(l_hat^2)
(about pi/2 - 1 = 0.57 for normal errors' absolute value, 2 for their square), so a row's variance is
c * l_hat^2: rows the model expects to be badly predicted count as the more uncertain. The MAE's
sampling error is sqrt(c * sum l_hat^2) / n; RMSE's is that of the mean squared error, mapped through
the square root. The band is estimate +- 3 sampling errors, as for CBPE.

Assumptions: errors given the features and the prediction are as on the reference (no concept drift),
and the reference holds the conditions the window's rows come from. Categorical features keep their
MAX_CATEGORIES - 1 most frequent reference values; others (and values new in a window) count as missing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from monitor.metrics.estimation import SAMPLING_ERROR_RANGE, EstimatedMetric

REGRESSION_ESTIMABLE = ("mae", "rmse")
HOLDOUT_SHARE = 0.25
MAX_CATEGORIES = 255
SEED = 20_261_202
# One thread: a service runs windows, pages and label pulls side by side, and OpenMP threads that
# wait for busy cores are slower than one thread that does not wait.
THREADS = 1


@dataclass(frozen=True)
class _Encoding:
    """How a DataFrame becomes the loss models' matrix: numeric columns as they are, categorical
    ones as the codes of the reference's most frequent values."""

    numeric: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]

    @classmethod
    def learn(cls, frame: pd.DataFrame) -> _Encoding:
        numeric, categories = [], {}
        for column in frame.columns:
            values = frame[column]
            if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
                if pd.api.types.is_datetime64_any_dtype(values):
                    continue
                counts = values.dropna().astype(str).value_counts()
                categories[str(column)] = tuple(str(v) for v in counts.index[: MAX_CATEGORIES - 1])
            else:
                numeric.append(str(column))
        return cls(tuple(numeric), categories)

    def matrix(self, frame: pd.DataFrame, prediction: np.ndarray) -> np.ndarray:
        parts = [pd.to_numeric(_column(frame, c), errors="coerce").to_numpy(float) for c in self.numeric]
        for column, known in self.categories.items():
            values = _column(frame, column)
            index = {value: float(i) for i, value in enumerate(known)}
            text = values.astype(str).where(values.notna(), None)
            parts.append(text.map(index).to_numpy(dtype=float, na_value=np.nan))
        parts.append(np.asarray(prediction, dtype=float))
        return np.column_stack(parts) if parts else np.empty((len(frame), 0))

    @property
    def categorical_mask(self) -> list[bool]:
        return [False] * len(self.numeric) + [True] * len(self.categories) + [False]


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan, index=frame.index, dtype=float)  # absent in a window: missing


def _model(encoding: _Encoding) -> HistGradientBoostingRegressor:
    # Losses are noisy targets: shallow trees on large leaves, few rounds (fast, and they do not
    # chase the noise of single rows).
    return HistGradientBoostingRegressor(
        loss="poisson",
        max_iter=60,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        categorical_features=encoding.categorical_mask,
        random_state=SEED,
    )


@dataclass
class LossModel:
    """One loss (absolute or squared error) predicted from features and prediction."""

    model: HistGradientBoostingRegressor | None  # None: every reference loss was 0
    spread: float  # c: variance of a loss around its prediction, relative to the prediction squared

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.model is None:
            return np.zeros(len(x))
        with threadpool_limits(THREADS):
            predicted: np.ndarray = np.maximum(self.model.predict(x), 0.0)
        return predicted


def _fit_loss(encoding: _Encoding, x: np.ndarray, loss: np.ndarray, holdout: np.ndarray) -> LossModel:
    if not np.any(loss > 0):
        return LossModel(None, 0.0)
    with threadpool_limits(THREADS):
        return _fit_with_holdout(encoding, x, loss, holdout)


def _fit_with_holdout(encoding: _Encoding, x: np.ndarray, loss: np.ndarray, holdout: np.ndarray) -> LossModel:
    trial = _model(encoding).fit(x[~holdout], loss[~holdout])
    predicted = np.maximum(trial.predict(x[holdout]), 0.0)
    scale = float(np.mean(predicted**2))
    spread = float(np.mean((loss[holdout] - predicted) ** 2)) / scale if scale > 0 else 0.0
    return LossModel(_model(encoding).fit(x, loss), spread)


@dataclass
class LossEstimator:
    """DLE fitted on a labelled reference: what `estimate_regression` applies to a window."""

    encoding: _Encoding
    absolute: LossModel
    squared: LossModel
    reference_rows: int

    def losses(self, features: pd.DataFrame, predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each row's predicted absolute and squared error."""
        x = self.encoding.matrix(features, predictions)
        return self.absolute.predict(x), self.squared.predict(x)


def fit_loss_estimator(features: pd.DataFrame, predictions: np.ndarray, actual: np.ndarray) -> LossEstimator:
    """DLE's loss models from the labelled reference; rows without a finite actual or prediction
    are left out."""
    y, p = np.asarray(actual, dtype=float), np.asarray(predictions, dtype=float)
    keep = np.isfinite(y) & np.isfinite(p)
    if keep.sum() < 20:
        raise ValueError("direct loss estimation needs at least 20 labelled reference rows")
    frame = features.loc[keep].reset_index(drop=True)
    encoding = _Encoding.learn(frame)
    x = encoding.matrix(frame, p[keep])
    error = y[keep] - p[keep]
    holdout = np.random.default_rng(SEED).random(len(error)) < HOLDOUT_SHARE
    return LossEstimator(
        encoding,
        _fit_loss(encoding, x, np.abs(error), holdout),
        _fit_loss(encoding, x, error**2, holdout),
        int(keep.sum()),
    )


def estimate_regression(
    metrics: Sequence[str], estimator: LossEstimator, features: pd.DataFrame, predictions: np.ndarray
) -> list[EstimatedMetric]:
    """DLE's estimate of each metric of REGRESSION_ESTIMABLE asked for (others are skipped), over the
    rows with a finite prediction."""
    wanted = [m for m in metrics if m in REGRESSION_ESTIMABLE]
    p = np.asarray(predictions, dtype=float)
    keep = np.isfinite(p)
    n = int(keep.sum())
    if n == 0:
        status = "no_rows" if len(p) == 0 else "no_predictions"
        return [EstimatedMetric.missing(m, 0, "dle", status) for m in wanted]
    absolute, squared = estimator.losses(features.loc[keep], p[keep])
    out = []
    for metric in wanted:
        if metric == "mae":
            error = math.sqrt(estimator.absolute.spread * float(np.sum(absolute**2))) / n
            out.append(EstimatedMetric.of("mae", float(absolute.mean()), error, n, "dle", high=math.inf))
        else:
            mse = float(squared.mean())
            mse_error = math.sqrt(estimator.squared.spread * float(np.sum(squared**2))) / n
            out.append(rmse_estimate(mse, mse_error, n))
    return out


def rmse_estimate(mse: float, mse_error: float, n: int) -> EstimatedMetric:
    """RMSE from the mean squared error's estimate and sampling error: the band is the square root of
    the MSE's band, the sampling error the delta method's sd / (2 sqrt(mse))."""
    value = math.sqrt(mse)
    half = SAMPLING_ERROR_RANGE * mse_error
    error = mse_error / (2 * value) if value > 0 else 0.0
    low, high = math.sqrt(max(mse - half, 0.0)), math.sqrt(mse + half)
    return EstimatedMetric("rmse", value, error, n, "dle", "ok", low, high)
