"""A metric's difference between two versions (candidate - baseline) with the variance of that
difference, from the labelled rows of each. Pure numpy. The fixed-sample tests (compare.py) and the
always-valid canary gate (verdict.py, sequential.py) both start here.

Per metric (the two samples are independent: different rows served by different versions):
- accuracy, error_rate (1 - accuracy), precision (denominator: predicted positives), recall
  (denominator: actual positives): a proportion is the mean of 0/1 rows; V = p_b(1-p_b)/n_b +
  p_c(1-p_c)/n_c, the unpooled (Wald) variance of a difference of proportions;
- mae, log_loss, brier: means of per-row losses; V = s_b²/n_b + s_c²/n_c (Welch), ddof 1;
- rmse: the delta method on the mean squared error, RMSE = sqrt(MSE) so Var(RMSE) ≈ Var(MSE)/(4·MSE)
  with Var(MSE) = s²(e²)/n; a side whose errors are all 0 contributes 0;
- roc_auc: DeLong's variance of each side's AUC (intervals.delong_auc), V = var_b + var_c (unpaired).
Values are scikit-learn's definitions: log loss clips scores to [eps, 1 - eps] as it does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.metrics import intervals
from monitor.metrics.classification import matches, present

PROPORTIONS: tuple[str, ...] = ("accuracy", "precision", "recall", "error_rate")
LOSS_MEANS: tuple[str, ...] = ("mae", "log_loss", "brier")
# The metrics whose difference has a normal approximation with a variance (the canary gate's metrics).
NORMAL_METRICS: tuple[str, ...] = (*PROPORTIONS, "roc_auc", *LOSS_MEANS, "rmse")
# Worse when they rise; the others are worse when they fall.
LOWER_IS_BETTER: frozenset[str] = frozenset({"error_rate", "mae", "rmse", "log_loss", "brier"})
MIN_ROWS = 2  # per side, for a sample variance


@dataclass(frozen=True)
class LabelledRows:
    """One version's labelled rows: the true labels (or actual values), and, as the metrics need
    them, the predictions and the scores (probability of the positive label). Rows without a label
    are dropped beforehand; rows without a prediction or a score are left out of the metrics needing it."""

    y_true: np.ndarray
    y_pred: np.ndarray | None = None
    score: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y_true)


class Undefined(Exception):
    """The metric, or its difference, has no value on these rows; `status` says why."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Estimate:
    metric: str
    baseline: float
    candidate: float
    difference: float  # candidate - baseline
    variance: float  # of the difference
    n_baseline: int  # rows each side's value was computed on
    n_candidate: int


def _predicted(rows: LabelledRows, positive_label: object) -> tuple[np.ndarray, np.ndarray]:
    """(truth, predicted) as booleans, over the rows with a prediction."""
    if rows.y_pred is None:
        raise Undefined("no_predictions")
    y_pred = np.asarray(rows.y_pred)
    has = present(y_pred)
    return matches(np.asarray(rows.y_true)[has], positive_label), matches(y_pred[has], positive_label)


def _scored(rows: LabelledRows, positive_label: object, probabilities: bool) -> tuple[np.ndarray, np.ndarray]:
    """(truth, score) over the rows with a finite score."""
    if rows.score is None:
        raise Undefined("no_scores")
    scores = np.asarray(rows.score, dtype=float)
    has = np.isfinite(scores)
    truth, scores = matches(np.asarray(rows.y_true)[has], positive_label), scores[has]
    if probabilities and len(scores) and (scores.min() < 0 or scores.max() > 1):
        raise Undefined("invalid_scores")
    return truth, scores


def _numeric(rows: LabelledRows) -> tuple[np.ndarray, np.ndarray]:
    if rows.y_pred is None:
        raise Undefined("no_predictions")
    try:
        y, p = np.asarray(rows.y_true, dtype=float), np.asarray(rows.y_pred, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"regression metrics need numeric labels and predictions: {exc}") from exc
    keep = np.isfinite(y) & np.isfinite(p)
    return y[keep], p[keep]


def _proportion_rows(metric: str, rows: LabelledRows, positive_label: object) -> np.ndarray:
    truth, predicted = _predicted(rows, positive_label)
    if metric == "accuracy":
        hits: np.ndarray = truth == predicted
    elif metric == "error_rate":
        hits = truth != predicted
    elif metric == "precision":
        if not predicted.any():
            raise Undefined("no_predicted_positives")
        hits = truth[predicted]
    else:  # recall
        if not truth.any():
            raise Undefined("no_positives")
        hits = predicted[truth]
    return hits.astype(float)


def row_values(metric: str, rows: LabelledRows, positive_label: object = 1) -> np.ndarray:
    """Per-row values whose mean is the metric (a proportion's 0/1 rows, a loss per row); for rmse
    the squared errors (RMSE = sqrt of their mean). Raises Undefined with the reason when undefined."""
    if len(rows) == 0:
        raise Undefined("no_labels")
    if metric in PROPORTIONS:
        return _proportion_rows(metric, rows, positive_label)
    if metric in ("mae", "rmse"):
        y, p = _numeric(rows)
        errors: np.ndarray = np.abs(y - p) if metric == "mae" else (y - p) ** 2
        return errors
    if metric in ("log_loss", "brier"):
        truth, scores = _scored(rows, positive_label, probabilities=True)
        if metric == "brier":
            squared: np.ndarray = (scores - truth) ** 2
            return squared
        eps = np.finfo(float).eps
        clipped = np.clip(scores, eps, 1 - eps)
        losses: np.ndarray = -np.where(truth, np.log(clipped), np.log1p(-clipped))
        return losses
    raise ValueError(f"no per-row values for {metric!r}; known: {', '.join(NORMAL_METRICS)}")


def _sizes(baseline: np.ndarray, candidate: np.ndarray) -> None:
    if min(len(baseline), len(candidate)) < MIN_ROWS:
        raise Undefined("insufficient_data")


def _mean_estimate(metric: str, b: np.ndarray, c: np.ndarray) -> Estimate:
    _sizes(b, c)
    mb, mc = float(b.mean()), float(c.mean())
    if metric in PROPORTIONS:  # Wald: p(1 - p)/n
        variance = mb * (1 - mb) / len(b) + mc * (1 - mc) / len(c)
    else:
        variance = float(b.var(ddof=1)) / len(b) + float(c.var(ddof=1)) / len(c)
    return Estimate(metric, mb, mc, mc - mb, variance, len(b), len(c))


def _rmse_side(squared: np.ndarray) -> tuple[float, float]:
    """(RMSE, delta-method variance of the RMSE)."""
    mse = float(squared.mean())
    if mse == 0.0:
        return 0.0, 0.0
    return mse**0.5, float(squared.var(ddof=1)) / len(squared) / (4.0 * mse)


def _auc_side(rows: LabelledRows, positive_label: object) -> tuple[float, float, int]:
    truth, scores = _scored(rows, positive_label, probabilities=False)
    if truth.all() or not truth.any():
        raise Undefined("single_class")
    if min(int(truth.sum()), int((~truth).sum())) < MIN_ROWS:
        raise Undefined("insufficient_data")
    auc, variance = intervals.delong_auc(truth, scores)
    return auc, variance, len(scores)


def estimate_difference(
    metric: str, baseline: LabelledRows, candidate: LabelledRows, *, positive_label: object = 1
) -> Estimate:
    """The metric on each side, their difference (candidate - baseline) and its variance.
    Raises Undefined (with a status) when a side cannot give the metric, ValueError for a metric
    outside NORMAL_METRICS."""
    if metric not in NORMAL_METRICS:
        raise ValueError(f"unsupported metric {metric!r}; supported: {', '.join(NORMAL_METRICS)}")
    if min(len(baseline), len(candidate)) == 0:
        raise Undefined("no_labels")
    if metric == "roc_auc":
        auc_b, var_b, n_b = _auc_side(baseline, positive_label)
        auc_c, var_c, n_c = _auc_side(candidate, positive_label)
        return Estimate(metric, auc_b, auc_c, auc_c - auc_b, var_b + var_c, n_b, n_c)
    b = row_values(metric, baseline, positive_label)
    c = row_values(metric, candidate, positive_label)
    if metric != "rmse":
        return _mean_estimate(metric, b, c)
    _sizes(b, c)
    (rmse_b, var_b), (rmse_c, var_c) = _rmse_side(b), _rmse_side(c)
    return Estimate(metric, rmse_b, rmse_c, rmse_c - rmse_b, var_b + var_c, len(b), len(c))


def worsening(metric: str, estimate: Estimate) -> tuple[float, float]:
    """(how much worse the candidate is, in the metric's units; its variance). Positive is worse:
    a fall for accuracy-like metrics, a rise for losses and the error rate."""
    sign = 1.0 if metric in LOWER_IS_BETTER else -1.0
    return sign * estimate.difference, estimate.variance
