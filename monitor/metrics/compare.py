"""Two model versions side by side: a metric's difference (candidate - baseline) with a confidence
interval and the two-sided p-value of "no difference", by the test that fits the metric. Fixed-sample
tests: valid for ONE look at the data; a gate that looks again and again uses verdict.py.

- accuracy, error_rate, precision, recall: two-proportion z-test. The p-value uses the pooled
  proportion (as statsmodels' proportions_ztest), the interval the unpooled Wald standard error;
  precision's rows are the predicted positives, recall's the actual positives;
- roc_auc: z-test and normal interval with DeLong's variance of each AUC, added (unpaired samples);
- mae, log_loss, brier (means of per-row losses): Welch's t-test and interval (Welch-Satterthwaite
  degrees of freedom), as scipy.stats.ttest_ind(equal_var=False);
- rmse: z-test and normal interval with the delta-method variance (differences.py);
- f1, pr_auc: seeded percentile bootstrap (bootstrap.py); the test is named "bootstrap(2000, seed 0)".
A difference that cannot be computed has a status instead of numbers: no_labels, no_predictions,
no_scores, single_class, no_positives, no_predicted_positives, invalid_scores, insufficient_data.
Serving health (error rate, latency quantiles) is compared in health_compare.py.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

from monitor.metrics import bootstrap
from monitor.metrics.classification import matches, present
from monitor.metrics.differences import (
    LOSS_MEANS,
    MIN_ROWS,
    NORMAL_METRICS,
    PROPORTIONS,
    LabelledRows,
    Undefined,
    estimate_difference,
    row_values,
)

COMPARABLE: tuple[str, ...] = (*NORMAL_METRICS, "f1", "pr_auc")
TESTS = {
    **dict.fromkeys(PROPORTIONS, "two-proportion z (pooled), Wald interval"),
    **dict.fromkeys(LOSS_MEANS, "Welch t"),
    "roc_auc": "DeLong z (unpaired)",
    "rmse": "delta-method z",
    "f1": bootstrap.TEST_NAME,
    "pr_auc": bootstrap.TEST_NAME,
}


@dataclass(frozen=True)
class MetricDifference:
    metric: str
    baseline: float | None
    candidate: float | None
    difference: float | None  # candidate - baseline
    ci_low: float | None
    ci_high: float | None
    p_value: float | None  # two-sided, H0: no difference
    test: str
    n_baseline: int
    n_candidate: int
    status: str  # ok, or why there are no numbers
    confidence: float = 0.95

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN becomes None)."""
        return {
            k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in asdict(self).items()
        }


def _missing(metric: str, status: str, n_b: int, n_c: int, confidence: float) -> MetricDifference:
    test = TESTS.get(metric, "")
    return MetricDifference(metric, None, None, None, None, None, None, test, n_b, n_c, status, confidence)


def two_sided_z(difference: float, standard_error: float) -> float:
    if standard_error == 0.0:
        return 1.0 if difference == 0.0 else 0.0
    return float(2.0 * norm.sf(abs(difference / standard_error)))


def _z(confidence: float) -> float:
    return float(norm.ppf(0.5 + confidence / 2.0))


def two_proportions(metric: str, b: np.ndarray, c: np.ndarray, confidence: float = 0.95) -> MetricDifference:
    """Difference of the proportions of the 0/1 rows `c` and `b`: unpooled Wald interval, p-value of
    the pooled z-test (as statsmodels' proportions_ztest)."""
    n_b, n_c = len(b), len(c)
    if min(n_b, n_c) < MIN_ROWS:
        return _missing(metric, "insufficient_data", n_b, n_c, confidence)
    pb, pc = float(b.mean()), float(c.mean())
    diff = pc - pb
    half = _z(confidence) * math.sqrt(pb * (1 - pb) / n_b + pc * (1 - pc) / n_c)
    pooled = (b.sum() + c.sum()) / (n_b + n_c)
    p_value = two_sided_z(diff, math.sqrt(pooled * (1 - pooled) * (1 / n_b + 1 / n_c)))
    test = TESTS["accuracy"]
    return MetricDifference(
        metric, pb, pc, diff, diff - half, diff + half, p_value, test, n_b, n_c, "ok", confidence
    )


def welch(b: np.ndarray, c: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """(ci_low, ci_high, p-value) of Welch's t on mean(c) - mean(b)."""
    vb, vc = float(b.var(ddof=1)) / len(b), float(c.var(ddof=1)) / len(c)
    diff, se = float(c.mean() - b.mean()), math.sqrt(vb + vc)
    if se == 0.0:
        return diff, diff, two_sided_z(diff, se)
    df = (vb + vc) ** 2 / (vb**2 / (len(b) - 1) + vc**2 / (len(c) - 1))
    half = float(student_t.ppf(0.5 + confidence / 2.0, df)) * se
    return diff - half, diff + half, float(2.0 * student_t.sf(abs(diff) / se, df))


def _normal(
    metric: str, b: LabelledRows, c: LabelledRows, positive_label: object, conf: float
) -> MetricDifference:
    est = estimate_difference(metric, b, c, positive_label=positive_label)  # raises when undefined
    if metric in PROPORTIONS or metric in LOSS_MEANS:
        rows_b, rows_c = row_values(metric, b, positive_label), row_values(metric, c, positive_label)
        if metric in PROPORTIONS:
            return two_proportions(metric, rows_b, rows_c, conf)
        low, high, p_value = welch(rows_b, rows_c, conf)
    else:
        se = math.sqrt(est.variance)
        low, high = est.difference - _z(conf) * se, est.difference + _z(conf) * se
        p_value = two_sided_z(est.difference, se)
    values = (est.baseline, est.candidate, est.difference, low, high, p_value)
    return MetricDifference(metric, *values, TESTS[metric], est.n_baseline, est.n_candidate, "ok", conf)


def _cells(rows: LabelledRows, positive_label: object) -> np.ndarray:
    """Confusion cells (tn, fp, fn, tp) over the rows with a prediction."""
    if rows.y_pred is None:
        raise Undefined("no_predictions")
    y_pred = np.asarray(rows.y_pred)
    has = present(y_pred)
    truth = matches(np.asarray(rows.y_true)[has], positive_label)
    predicted = matches(y_pred[has], positive_label)
    return np.array(
        [
            (~truth & ~predicted).sum(),
            (~truth & predicted).sum(),
            (truth & ~predicted).sum(),
            (truth & predicted).sum(),
        ]
    )


def _f1_of(cells: np.ndarray) -> float:
    _, fp, fn, tp = cells
    if tp + fp + fn == 0:
        raise Undefined("no_positives")
    return float(2 * tp / (2 * tp + fp + fn))


def _scored(rows: LabelledRows, positive_label: object) -> tuple[np.ndarray, np.ndarray]:
    if rows.score is None:
        raise Undefined("no_scores")
    scores = np.asarray(rows.score, dtype=float)
    has = np.isfinite(scores)
    truth = matches(np.asarray(rows.y_true)[has], positive_label)
    if not truth.any():
        raise Undefined("no_positives")
    return truth, scores[has]


def _average_precision(truth: np.ndarray, scores: np.ndarray) -> float:
    return float(bootstrap.weighted_average_precision(truth, scores, np.ones((1, len(scores))))[0])


def _bootstrapped(
    metric: str, b: LabelledRows, c: LabelledRows, positive_label: object, conf: float
) -> MetricDifference:
    if metric == "f1":
        cells_b, cells_c = _cells(b, positive_label), _cells(c, positive_label)
        value_b, value_c = _f1_of(cells_b), _f1_of(cells_c)
        n_b, n_c = int(cells_b.sum()), int(cells_c.sum())
        differences = bootstrap.f1_differences(cells_b, cells_c)
    else:
        side_b, side_c = _scored(b, positive_label), _scored(c, positive_label)
        value_b, value_c = (_average_precision(*side) for side in (side_b, side_c))
        n_b, n_c = len(side_b[1]), len(side_c[1])
        differences = bootstrap.average_precision_differences(side_b, side_c)
    if min(n_b, n_c) < 2:
        raise Undefined("insufficient_data")
    summary = bootstrap.percentile_summary(differences, conf)
    low, high, p_value = summary if summary is not None else (None, None, None)
    return MetricDifference(
        metric, value_b, value_c, value_c - value_b, low, high, p_value, TESTS[metric], n_b, n_c, "ok", conf
    )


def compare_metric(
    metric: str,
    baseline: LabelledRows,
    candidate: LabelledRows,
    *,
    positive_label: object = 1,
    confidence: float = 0.95,
) -> MetricDifference:
    """The metric on the baseline's and the candidate's labelled rows, their difference with its
    `confidence` interval and the p-value of the test that fits the metric (module docstring)."""
    if metric not in COMPARABLE:
        raise ValueError(f"unknown metric {metric!r}; comparable metrics: {', '.join(COMPARABLE)}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    try:
        if metric in NORMAL_METRICS:
            return _normal(metric, baseline, candidate, positive_label, confidence)
        return _bootstrapped(metric, baseline, candidate, positive_label, confidence)
    except Undefined as why:
        return _missing(metric, why.status, len(baseline), len(candidate), confidence)
