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
class CbpeSums:
    """What CBPE's estimates other than ROC AUC depend on: sums over a window's rows with a finite
    score, which add up across the pieces of a window (monitor.metrics.partial_cbpe)."""

    rows: int = 0
    right: float = 0.0  # sum of q, the probability that a row's prediction is right
    right_variance: float = 0.0  # sum of q (1 - q)
    a: float = 0.0  # expected positives among the predicted positives
    c: float = 0.0  # and among the predicted negatives
    va: float = 0.0  # their variances
    vc: float = 0.0
    m: int = 0  # predicted positives
    brier: tuple[float, float] = (0.0, 0.0)  # sums of the expected loss and of its variance
    log_loss: tuple[float, float] = (0.0, 0.0)

    def merge(self, other: CbpeSums) -> CbpeSums:
        def pair(x: tuple[float, float], y: tuple[float, float]) -> tuple[float, float]:
            return x[0] + y[0], x[1] + y[1]

        return CbpeSums(
            self.rows + other.rows,
            self.right + other.right,
            self.right_variance + other.right_variance,
            self.a + other.a,
            self.c + other.c,
            self.va + other.va,
            self.vc + other.vc,
            self.m + other.m,
            pair(self.brier, other.brier),
            pair(self.log_loss, other.log_loss),
        )


def _loss_sums(p: np.ndarray, positive: np.ndarray, negative: np.ndarray) -> tuple[float, float]:
    """Sums of a per-row loss worth `positive` when the label is 1 and `negative` when it is 0:
    its expectation, and its variance."""
    return float(np.sum(p * positive + (1 - p) * negative)), float(
        np.sum(p * (1 - p) * (positive - negative) ** 2)
    )


def cbpe_sums(p: np.ndarray, scores: np.ndarray, predicted: np.ndarray | None) -> CbpeSums:
    """The sums of rows with calibrated probabilities p, raw scores and predicted positives (None:
    no prediction column, and the sums of the counting metrics stay 0)."""
    clipped, eps = np.clip(scores, 0.0, 1.0), np.finfo(float).eps
    safe = np.clip(scores, eps, 1 - eps)  # as scikit-learn clips
    brier = _loss_sums(p, (1 - clipped) ** 2, clipped**2)
    log_loss = _loss_sums(p, -np.log(safe), -np.log1p(-safe))
    if predicted is None:
        return CbpeSums(len(p), brier=brier, log_loss=log_loss)
    d, v = predicted, p * (1 - p)
    q = np.where(d, p, 1.0 - p)  # probability that each row is right
    return CbpeSums(
        len(p),
        float(np.sum(q)),
        float(np.sum(q * (1 - q))),
        float(p[d].sum()),
        float(p[~d].sum()),
        float(v[d].sum()),
        float(v[~d].sum()),
        int(d.sum()),
        brier,
        log_loss,
    )


def _accuracy(s: CbpeSums) -> EstimatedMetric:
    return EstimatedMetric.of(
        "accuracy", s.right / s.rows, math.sqrt(s.right_variance) / s.rows, s.rows, "cbpe"
    )


def _precision(s: CbpeSums) -> EstimatedMetric:
    if s.m == 0:
        return EstimatedMetric.missing("precision", s.rows, "cbpe", "no_predicted_positives")
    return EstimatedMetric.of("precision", s.a / s.m, math.sqrt(s.va) / s.m, s.rows, "cbpe")


def _recall(s: CbpeSums) -> EstimatedMetric:
    a, c = s.a, s.c
    if a + c <= 0:
        return EstimatedMetric.missing("recall", s.rows, "cbpe", "no_positives")
    error = math.sqrt(c * c * s.va + a * a * s.vc) / (a + c) ** 2
    return EstimatedMetric.of("recall", a / (a + c), error, s.rows, "cbpe")


def _f1(s: CbpeSums) -> EstimatedMetric:
    a, c, m = s.a, s.c, s.m
    if a + c + m <= 0:
        return EstimatedMetric.missing("f1", s.rows, "cbpe", "no_positives")
    total = a + c + m
    error = 2 * math.sqrt((c + m) ** 2 * s.va + a * a * s.vc) / total**2
    return EstimatedMetric.of("f1", 2 * a / total, error, s.rows, "cbpe")


def _expected_loss(metric: str, sums: tuple[float, float], n: int) -> EstimatedMetric:
    error = math.sqrt(sums[1]) / n
    return EstimatedMetric.of(metric, sums[0] / n, error, n, "cbpe", high=_UPPER.get(metric, 1.0))


@dataclass(frozen=True)
class RankSums:
    """What CBPE's ROC AUC depends on: with r a row's midrank among the window's raw scores and
    v = p (1 - p), the sums of p (m), p r (s), r^2 v, v and r v, over n rows."""

    n: int
    m: float
    s: float
    var_s: float
    var_m: float
    cov: float

    @classmethod
    def of(cls, p: np.ndarray, scores: np.ndarray) -> RankSums:
        r = rankdata(scores)  # midranks, ascending
        v = p * (1 - p)
        return cls(
            len(p),
            float(p.sum()),
            float(np.dot(p, r)),
            float(np.dot(r * r, v)),
            float(v.sum()),
            float(np.dot(r, v)),
        )


def auc_estimate(r: RankSums) -> EstimatedMetric:
    """The AUC with every row counted positive with weight p and negative with weight 1 - p."""
    n, m, s = r.n, r.m, r.s
    if not 0.5 <= m <= n - 0.5:  # fewer than half an expected row of one class
        return EstimatedMetric.missing("roc_auc", n, "cbpe", "single_class")
    pairs = m * (n - m)
    value = (s - m * (m + 1) / 2) / pairs
    g_s = 1.0 / pairs
    g_m = (-(m + 0.5) * pairs - (s - m * (m + 1) / 2) * (n - 2 * m)) / pairs**2
    variance = g_s * g_s * r.var_s + 2 * g_s * g_m * r.cov + g_m * g_m * r.var_m
    return EstimatedMetric.of("roc_auc", value, math.sqrt(max(variance, 0.0)), n, "cbpe")


_FROM_SUMS: dict[str, Callable[[CbpeSums], EstimatedMetric]] = {
    "accuracy": _accuracy,
    "precision": _precision,
    "recall": _recall,
    "f1": _f1,
    "brier": lambda s: _expected_loss("brier", s.brier, s.rows),
    "log_loss": lambda s: _expected_loss("log_loss", s.log_loss, s.rows),
}
_NEEDS_PREDICTIONS = {"accuracy", "precision", "recall", "f1"}


def binary_estimates(
    metrics: Sequence[str], sums: CbpeSums, has_predictions: bool, auc: Callable[[], EstimatedMetric]
) -> list[EstimatedMetric]:
    """Each metric of BINARY_ESTIMABLE asked for from a window's sums (at least one row), and ROC AUC
    from `auc`: ranks are not sums."""
    return [
        EstimatedMetric.missing(m, sums.rows, "cbpe", "no_predictions")
        if m in _NEEDS_PREDICTIONS and not has_predictions
        else auc()
        if m == "roc_auc"
        else _FROM_SUMS[m](sums)
        for m in metrics
        if m in BINARY_ESTIMABLE
    ]


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
    calibrated, raw, decided = [], [], []
    total = 0
    for part in parts:
        scores = np.asarray(part.scores, dtype=float)
        keep = np.isfinite(scores)
        total += len(scores)
        calibrated.append(part.calibration.apply(scores[keep]))
        raw.append(scores[keep])
        decided.append(None if part.predicted is None else np.asarray(part.predicted, dtype=bool)[keep])
    if sum(len(r) for r in raw) == 0:
        status = "no_rows" if total == 0 else "no_scores"
        return [EstimatedMetric.missing(m, 0, "cbpe", status) for m in metrics if m in BINARY_ESTIMABLE]
    predicted = (
        None if any(d is None for d in decided) else np.concatenate([d for d in decided if d is not None])
    )
    p, kept = np.concatenate(calibrated), np.concatenate(raw)
    sums = cbpe_sums(p, kept, predicted)
    return binary_estimates(metrics, sums, predicted is not None, lambda: auc_estimate(RankSums.of(p, kept)))
