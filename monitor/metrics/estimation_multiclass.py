"""CBPE for multiclass classifiers, as NannyML does it. Pure numpy.

Each class's score is calibrated one-vs-rest on the reference (monitor.metrics.calibration) and the
calibrated scores of a row are scaled to sum to 1: row i is of class k with probability P[i, k].
The expected confusion matrix follows: per class k, expected true positives A_k = sum of P[i, k] over
the rows predicted k, predicted count m_k, expected support S_k = sum of P[i, k] over all rows; so
precision_k = A_k / m_k, recall_k = A_k / S_k, F1_k = 2 A_k / (m_k + S_k), averaged as the monitor's
`average` says (macro: over classes where defined, as scikit-learn's zero_division=NaN leaves out a
class; weighted: by expected support; micro: equal to accuracy for one label per row). Accuracy is
the mean of P[i, predicted class]. ROC AUC is one-vs-rest, macro over the classes, each as the
binary estimate (monitor.metrics.estimation).

Sampling error: the standard deviation of the realised metric over MC_DRAWS sets of labels drawn
from P (fixed seed), on at most MC_ROWS rows (a larger window draws on a sample of its rows and scales
the spread by sqrt(sample / rows)); accuracy's is exact. The band is +- 3 of them, as for binary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from monitor.metrics.calibration import Calibration, fit_calibration
from monitor.metrics.estimation import EstimatedMetric

MULTICLASS_ESTIMABLE = ("accuracy", "precision", "recall", "f1", "roc_auc")
MC_DRAWS = 200
MC_ROWS = 4_000
SEED = 20_261_204


@dataclass(frozen=True)
class MulticlassCalibration:
    classes: tuple[str, ...]
    per_class: tuple[Calibration, ...]

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities, each row summing to 1 (uniform where all are 0)."""
        columns = [c.apply(scores[:, k]) for k, c in enumerate(self.per_class)]
        p = np.column_stack(columns) if columns else np.empty((len(scores), 0))
        total = p.sum(axis=1, keepdims=True)
        uniform = np.full_like(p, 1.0 / max(1, p.shape[1]))
        with np.errstate(invalid="ignore", divide="ignore"):
            scaled: np.ndarray = np.where(total > 0, p / total, uniform)
        return scaled

    @property
    def warning(self) -> str | None:
        found = [(cls, c.warning) for cls, c in zip(self.classes, self.per_class, strict=True) if c.warning]
        return "; ".join(f"class {cls}: {text}" for cls, text in found) or None


def fit_multiclass_calibration(
    truth: np.ndarray, scores: np.ndarray, classes: Sequence[str], *, max_ece: float
) -> MulticlassCalibration:
    """One-vs-rest calibration of each class's score column against `truth` (class names as text)."""
    labels = np.asarray(truth).astype(str)
    return MulticlassCalibration(
        tuple(classes),
        tuple(fit_calibration(labels == cls, scores[:, k], max_ece=max_ece) for k, cls in enumerate(classes)),
    )


def _per_class(
    onehot_p: np.ndarray, predicted: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, m, S) per class for one or many label sets: onehot_p is (..., n, k) probabilities or 0/1."""
    chosen = predicted[:, None] == np.arange(k)[None, :]  # (n, k)
    a = (onehot_p * chosen).sum(axis=-2)
    m = np.broadcast_to(chosen.sum(axis=0).astype(float), a.shape)
    s = onehot_p.sum(axis=-2)
    return a, m, s


def averaged_counts(metric: str, a: np.ndarray, m: np.ndarray, s: np.ndarray, average: str) -> np.ndarray:
    """Precision, recall or F1 of expected or drawn counts over the last axis (classes)."""
    if average == "micro":  # one label per row: every micro average is the accuracy
        total = m.sum(axis=-1)
        return np.asarray(a.sum(axis=-1) / np.where(total > 0, total, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        per = {"precision": a / m, "recall": a / s, "f1": 2 * a / (m + s)}[metric]
    if average == "weighted":
        weights = np.where(np.isfinite(per), s, 0.0)
        return _mean(per, weights)
    return _mean(per, np.isfinite(per).astype(float))


def _mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean over the last axis of the finite values; NaN where none is."""
    total = weights.sum(axis=-1)
    summed = np.where(np.isfinite(values), values * weights, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(total > 0, summed / np.where(total > 0, total, 1.0), np.nan))


def _auc(p: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Macro one-vs-rest AUC for class weights p (..., n, k) and per-class score ranks (n, k)."""
    return macro_auc(p.sum(axis=-2), (p * ranks).sum(axis=-2), ranks.shape[0])


def class_aucs(mass: np.ndarray, weighted_ranks: np.ndarray, n: int) -> np.ndarray:
    """Each class's AUC (NaN under half an expected row of it or of the rest) from its weight
    (mass) and the sum of weight times rank over n rows, last axis the classes."""
    concordant = weighted_ranks - mass * (mass + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        per = concordant / (mass * (n - mass))
    return np.asarray(np.where((mass >= 0.5) & (mass <= n - 0.5), per, np.nan))


def macro_auc(mass: np.ndarray, weighted_ranks: np.ndarray, n: int) -> np.ndarray:
    per = class_aucs(mass, weighted_ranks, n)
    return _mean(per, np.isfinite(per).astype(float))


def multiclass_values(
    metric: str, p: np.ndarray, predicted: np.ndarray, ranks: np.ndarray, average: str
) -> np.ndarray:
    """The metric for class probabilities (expected) or one-hot labels (realised), (..., n, k)."""
    k = p.shape[-1]
    if metric == "accuracy":
        rows = np.arange(p.shape[-2])
        hit = np.where(predicted >= 0, p[..., rows, np.clip(predicted, 0, k - 1)], 0.0)
        return np.asarray(hit.mean(axis=-1))
    if metric == "roc_auc":
        return _auc(p, ranks)
    return averaged_counts(metric, *_per_class(p, predicted, k), average)


def _draws(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MC_DRAWS one-hot label sets drawn from the rows' class probabilities: (draws, n, k)."""
    cumulative = np.cumsum(p, axis=1)
    u = rng.random((MC_DRAWS, len(p), 1))
    drawn = (u > cumulative[None, :, :]).sum(axis=2).clip(0, p.shape[1] - 1)
    onehot: np.ndarray = drawn[:, :, None] == np.arange(p.shape[1])[None, None, :]
    return onehot.astype(float)


def estimate_multiclass(
    metrics: Sequence[str],
    calibration: MulticlassCalibration,
    scores: np.ndarray,
    predicted: np.ndarray | None,
    *,
    average: str = "macro",
    with_errors: bool = True,
) -> list[EstimatedMetric]:
    """CBPE's estimate of each metric of MULTICLASS_ESTIMABLE asked for, over the rows whose class
    scores are all finite. `scores`: (rows, classes) in the calibration's class order; `predicted`: each
    row's predicted class index (-1 for a class the scores do not name), None without predictions."""
    wanted = [m for m in metrics if m in MULTICLASS_ESTIMABLE]
    keep = np.isfinite(scores).all(axis=1) if scores.size else np.zeros(len(scores), dtype=bool)
    n = int(keep.sum())
    if n == 0:
        status = "no_rows" if len(scores) == 0 else "no_scores"
        return [EstimatedMetric.missing(m, 0, "cbpe", status) for m in wanted]
    p = calibration.apply(scores[keep])
    ranks = np.column_stack([rankdata(scores[keep][:, k]) for k in range(p.shape[1])])
    decided = np.full(n, -1) if predicted is None else np.asarray(predicted)[keep]
    spread = _Spread(scores[keep], p, decided, average) if with_errors else None
    out = []
    for metric in wanted:
        if metric != "roc_auc" and predicted is None:
            out.append(EstimatedMetric.missing(metric, n, "cbpe", "no_predictions"))
            continue
        value = float(multiclass_values(metric, p, decided, ranks, average))
        if not math.isfinite(value):
            out.append(EstimatedMetric.missing(metric, n, "cbpe", "undefined"))
        elif spread is None:
            out.append(EstimatedMetric(metric, value, None, n, "cbpe"))
        else:
            out.append(EstimatedMetric.of(metric, value, spread.error(metric), n, "cbpe"))
    return out


class _Spread:
    """Label sets drawn from the calibrated probabilities of (a sample of) the window's rows."""

    def __init__(self, scores: np.ndarray, p: np.ndarray, predicted: np.ndarray, average: str) -> None:
        n = len(p)
        rng = np.random.default_rng(SEED)
        self.sample = rng.choice(n, MC_ROWS, replace=False) if n > MC_ROWS else np.arange(n)
        self.scale = math.sqrt(len(self.sample) / n)
        self.p, self.predicted, self.average = p, predicted, average
        self.onehot = _draws(p[self.sample], rng)
        self.ranks = np.column_stack([rankdata(scores[self.sample, k]) for k in range(p.shape[1])])

    def error(self, metric: str) -> float:
        if metric == "accuracy":  # exact: a sum of independent Bernoulli(P[i, predicted])
            rows = np.arange(len(self.p))
            q = np.where(self.predicted >= 0, self.p[rows, np.clip(self.predicted, 0, None)], 0.0)
            return math.sqrt(float(np.sum(q * (1 - q)))) / len(q)
        drawn = multiclass_values(metric, self.onehot, self.predicted[self.sample], self.ranks, self.average)
        finite = drawn[np.isfinite(drawn)]
        return float(np.std(finite, ddof=1)) * self.scale if len(finite) > 1 else math.nan
