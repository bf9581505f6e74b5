"""Performance without labels: confidence-based performance estimation (CBPE), as NannyML does it.
Pure numpy: a window's scores and predictions in, estimated metrics out.

A calibrated score p is the probability that its row is positive (monitor.metrics.calibration). The
expected confusion matrix of a window is then

    TP = sum p over predicted positives      FP = sum (1 - p) over predicted positives
    FN = sum p over predicted negatives      TN = sum (1 - p) over predicted negatives

and accuracy, precision, recall and F1 are those of the expected matrix. ROC AUC is the AUC with
every row counted as positive with weight p and negative with weight 1 - p, ranked by its raw score
(midranks for ties): (sum p_i r_i - M (M + 1) / 2) / (M (n - M)) with M = sum p. Brier score and log
loss are the expected losses of the raw score.

Sampling error. Given the window's rows, each label is an independent Bernoulli(p), so the realised
metric is random around the estimate. `sampling_error` is its standard deviation: exact for accuracy,
precision, Brier and log loss (sums of independent terms over known denominators), the delta method
for recall, F1 and ROC AUC (ratios of sums). The band is estimate +- SAMPLING_ERROR_RANGE (3, as
NannyML) sampling errors, clipped to the metric's range: under the assumptions the realised value
falls inside about 99.7% of the time. It does not cover an error of the calibration itself.

Assumptions: the probability of a label given the score is what it was on the reference (no concept
drift), and the reference is large enough for the calibration to hold where the window's scores lie.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from monitor.metrics.calibration import Calibration

SAMPLING_ERROR_RANGE = 3.0
BINARY_ESTIMABLE = ("accuracy", "precision", "recall", "f1", "roc_auc", "brier", "log_loss")
_UPPER = {"log_loss": math.inf}


@dataclass(frozen=True)
class EstimatedMetric:
    """One metric of one window, estimated without labels."""

    metric: str
    value: float | None
    sampling_error: float | None  # standard deviation of the realised value around the estimate
    row_count: int  # rows the estimate used
    method: str  # cbpe, dle
    # ok, or why there is no value: no_rows, no_scores, no_predictions, no_predicted_positives,
    # no_positives, single_class
    status: str = "ok"
    lower: float | None = None
    upper: float | None = None

    @classmethod
    def of(
        cls,
        metric: str,
        value: float,
        error: float,
        n: int,
        method: str,
        *,
        low: float = 0.0,
        high: float = 1.0,
    ) -> EstimatedMetric:
        half = SAMPLING_ERROR_RANGE * error
        band = max(low, value - half), min(high, value + half)
        return cls(metric, float(value), float(error), n, method, "ok", *band)

    @classmethod
    def missing(cls, metric: str, n: int, method: str, status: str) -> EstimatedMetric:
        return cls(metric, None, None, n, method, status)


@dataclass(frozen=True)
class _Window:
    p: np.ndarray  # calibrated probability of positive
    scores: np.ndarray  # raw scores (ranks for ROC AUC, the losses' argument)
    predicted: np.ndarray | None  # bool, or None without a prediction column

    @property
    def n(self) -> int:
        return len(self.p)


def _accuracy(w: _Window) -> EstimatedMetric:
    assert w.predicted is not None
    q = np.where(w.predicted, w.p, 1.0 - w.p)  # probability that each row is right
    error = math.sqrt(float(np.sum(q * (1 - q)))) / w.n
    return EstimatedMetric.of("accuracy", float(q.mean()), error, w.n, "cbpe")


def _sums(w: _Window) -> tuple[float, float, float, float, int]:
    """(A, C, var A, var C, m): expected positives among predicted positives (A) and negatives (C),
    their variances, and the count of predicted positives."""
    assert w.predicted is not None
    d, p = w.predicted, w.p
    v = p * (1 - p)
    return float(p[d].sum()), float(p[~d].sum()), float(v[d].sum()), float(v[~d].sum()), int(d.sum())


def _precision(w: _Window) -> EstimatedMetric:
    a, _, va, _, m = _sums(w)
    if m == 0:
        return EstimatedMetric.missing("precision", w.n, "cbpe", "no_predicted_positives")
    return EstimatedMetric.of("precision", a / m, math.sqrt(va) / m, w.n, "cbpe")


def _recall(w: _Window) -> EstimatedMetric:
    a, c, va, vc, _ = _sums(w)
    if a + c <= 0:
        return EstimatedMetric.missing("recall", w.n, "cbpe", "no_positives")
    error = math.sqrt(c * c * va + a * a * vc) / (a + c) ** 2
    return EstimatedMetric.of("recall", a / (a + c), error, w.n, "cbpe")


def _f1(w: _Window) -> EstimatedMetric:
    a, c, va, vc, m = _sums(w)
    if a + c + m <= 0:
        return EstimatedMetric.missing("f1", w.n, "cbpe", "no_positives")
    total = a + c + m
    error = 2 * math.sqrt((c + m) ** 2 * va + a * a * vc) / total**2
    return EstimatedMetric.of("f1", 2 * a / total, error, w.n, "cbpe")


def _roc_auc(w: _Window) -> EstimatedMetric:
    n, p = w.n, w.p
    r = rankdata(w.scores)  # midranks, ascending
    m = float(p.sum())
    if not 0.5 <= m <= n - 0.5:  # fewer than half an expected row of one class
        return EstimatedMetric.missing("roc_auc", n, "cbpe", "single_class")
    s = float(np.dot(p, r))
    pairs = m * (n - m)
    value = (s - m * (m + 1) / 2) / pairs
    v = p * (1 - p)
    var_s, var_m, cov = float(np.dot(r * r, v)), float(v.sum()), float(np.dot(r, v))
    g_s = 1.0 / pairs
    g_m = (-(m + 0.5) * pairs - (s - m * (m + 1) / 2) * (n - 2 * m)) / pairs**2
    variance = g_s * g_s * var_s + 2 * g_s * g_m * cov + g_m * g_m * var_m
    return EstimatedMetric.of("roc_auc", value, math.sqrt(max(variance, 0.0)), n, "cbpe")


def _expected_loss(w: _Window, metric: str, positive: np.ndarray, negative: np.ndarray) -> EstimatedMetric:
    """The mean of a per-row loss worth `positive` when the label is 1 and `negative` when it is 0."""
    p = w.p
    mean = float(np.mean(p * positive + (1 - p) * negative))
    error = math.sqrt(float(np.sum(p * (1 - p) * (positive - negative) ** 2))) / w.n
    return EstimatedMetric.of(metric, mean, error, w.n, "cbpe", high=_UPPER.get(metric, 1.0))


def _brier(w: _Window) -> EstimatedMetric:
    s = np.clip(w.scores, 0.0, 1.0)
    return _expected_loss(w, "brier", (1 - s) ** 2, s**2)


def _log_loss(w: _Window) -> EstimatedMetric:
    eps = np.finfo(float).eps
    s = np.clip(w.scores, eps, 1 - eps)  # as scikit-learn clips
    return _expected_loss(w, "log_loss", -np.log(s), -np.log1p(-s))


_BINARY: dict[str, Callable[[_Window], EstimatedMetric]] = {
    "accuracy": _accuracy,
    "precision": _precision,
    "recall": _recall,
    "f1": _f1,
    "roc_auc": _roc_auc,
    "brier": _brier,
    "log_loss": _log_loss,
}
_NEEDS_PREDICTIONS = {"accuracy", "precision", "recall", "f1"}


@dataclass(frozen=True)
class BinaryRows:
    """Rows to estimate over, each with the model and calibration that scored it: raw scores, the
    predicted class (True: positive; None without a prediction column) and the calibration."""

    calibration: Calibration
    scores: np.ndarray
    predicted: np.ndarray | None


def estimate_binary(
    metrics: Sequence[str],
    calibration: Calibration,
    scores: np.ndarray,
    predicted: np.ndarray | None,
) -> list[EstimatedMetric]:
    """CBPE's estimate of each metric of BINARY_ESTIMABLE asked for (others are skipped), over the
    rows with a finite score. `predicted`: True where the model predicted the positive class."""
    return estimate_binary_rows(metrics, [BinaryRows(calibration, scores, predicted)])


def estimate_binary_rows(metrics: Sequence[str], parts: Sequence[BinaryRows]) -> list[EstimatedMetric]:
    """CBPE over the rows of every part, each row calibrated by its own part's calibration (a window
    whose rows several models scored, each calibrated on its own reference): the expected confusion
    matrix adds every row's probability, ROC AUC ranks all raw scores together, as the realised
    metrics of those rows do."""
    wanted = [m for m in metrics if m in _BINARY]
    calibrated, raw, decided = [], [], []
    total = 0
    for part in parts:
        scores = np.asarray(part.scores, dtype=float)
        keep = np.isfinite(scores)
        total += len(scores)
        calibrated.append(part.calibration.apply(scores[keep]))
        raw.append(scores[keep])
        decided.append(None if part.predicted is None else np.asarray(part.predicted, dtype=bool)[keep])
    n = sum(len(r) for r in raw)
    if n == 0:
        status = "no_rows" if total == 0 else "no_scores"
        return [EstimatedMetric.missing(m, 0, "cbpe", status) for m in wanted]
    predicted = (
        None if any(d is None for d in decided) else np.concatenate([d for d in decided if d is not None])
    )
    window = _Window(np.concatenate(calibrated), np.concatenate(raw), predicted)
    return [
        EstimatedMetric.missing(m, window.n, "cbpe", "no_predictions")
        if m in _NEEDS_PREDICTIONS and predicted is None
        else _BINARY[m](window)
        for m in wanted
    ]
