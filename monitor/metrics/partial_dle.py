"""Partial summaries for direct loss estimation (monitor.metrics.loss_estimation): a window's estimated
MAE and RMSE are means of the loss models' per-row predictions, and their sampling errors sums of
their squares, so pieces summarised apart (each applying the fitted loss models to its rows) merge
into exactly the estimates of the whole window."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitor.metrics.estimation import EstimatedMetric
from monitor.metrics.loss_estimation import REGRESSION_ESTIMABLE, LossEstimator, rmse_estimate
from monitor.metrics.partial_cbpe import EXACT_ERROR, MergedEstimate


@dataclass(frozen=True)
class DlePartial:
    seen: int = 0  # rows, with or without a finite prediction
    rows: int = 0  # with one
    absolute: tuple[float, float] = (0.0, 0.0)  # sums of the predicted absolute errors and their squares
    squared: tuple[float, float] = (0.0, 0.0)  # of the predicted squared errors and their squares

    def merge(self, other: DlePartial) -> DlePartial:
        return DlePartial(
            self.seen + other.seen,
            self.rows + other.rows,
            (self.absolute[0] + other.absolute[0], self.absolute[1] + other.absolute[1]),
            (self.squared[0] + other.squared[0], self.squared[1] + other.squared[1]),
        )


def dle_partial(estimator: LossEstimator, features: pd.DataFrame, predictions: np.ndarray) -> DlePartial:
    """The summary of a piece, with estimate_regression's arguments."""
    p = np.asarray(predictions, dtype=float)
    keep = np.isfinite(p)
    if not keep.any():
        return DlePartial(len(p))
    absolute, squared = estimator.losses(features.loc[keep], p[keep])
    return DlePartial(
        len(p),
        int(keep.sum()),
        (float(np.sum(absolute)), float(np.sum(absolute**2))),
        (float(np.sum(squared)), float(np.sum(squared**2))),
    )


def dle_estimates(
    partial: DlePartial, metrics: Sequence[str], estimator: LossEstimator
) -> list[MergedEstimate]:
    """estimate_regression's estimates from a merged summary (the estimator gives the spreads)."""
    wanted = [m for m in metrics if m in REGRESSION_ESTIMABLE]
    n = partial.rows
    if n == 0:
        status = "no_rows" if partial.seen == 0 else "no_predictions"
        return [MergedEstimate(EstimatedMetric.missing(m, 0, "dle", status), True) for m in wanted]
    out = []
    for metric in wanted:
        if metric == "mae":
            error = math.sqrt(estimator.absolute.spread * partial.absolute[1]) / n
            found = EstimatedMetric.of("mae", partial.absolute[0] / n, error, n, "dle", high=math.inf)
        else:
            mse_error = math.sqrt(estimator.squared.spread * partial.squared[1]) / n
            found = rmse_estimate(partial.squared[0] / n, mse_error, n)
        out.append(MergedEstimate(found, True, None, EXACT_ERROR))
    return out
