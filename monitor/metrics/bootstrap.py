"""Seeded percentile bootstraps of a difference between two independent samples (candidate - baseline),
for the statistics without a handy variance: F1, PR AUC (average precision) and latency quantiles.
Each side is resampled on its own, REPLICATES times, from one generator seeded with SEED, so the same
rows always give the same interval.

- F1 depends on the rows only through the confusion matrix, and resampling n rows draws that matrix
  from a multinomial with the observed cell shares: the matrix is drawn directly (exact, cheap).
- Average precision: a resample is a vector of row counts (how often each row was drawn); AP with
  those counts as weights is computed for a block of replicates at once (weighted_average_precision,
  equal to scikit-learn's average_precision_score with sample_weight).
- Quantiles: numpy.percentile of resampled rows; above QUANTILE_ROW_CAP rows a side is first
  subsampled (seeded) to that many rows, which widens the interval (conservative) and bounds the cost.
The two-sided p-value of "no difference" is 2·min(share of replicate differences <= 0, share >= 0),
capped at 1: a rough bootstrap p-value, documented as such.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

REPLICATES = 2000
SEED = 0
BLOCK_CELLS = 2_000_000  # rows x replicates resampled at once
QUANTILE_ROW_CAP = 50_000
TEST_NAME = f"bootstrap({REPLICATES}, seed {SEED})"


def percentile_summary(differences: np.ndarray, confidence: float) -> tuple[float, float, float] | None:
    """(low, high, p-value) of replicate differences; None when fewer than two are defined."""
    d = differences[np.isfinite(differences)]
    if len(d) < 2:
        return None
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(d, [tail, 1.0 - tail])
    p_value = min(1.0, 2.0 * min(float(np.mean(d <= 0)), float(np.mean(d >= 0))))
    return float(low), float(high), p_value


def _f1(draws: np.ndarray) -> np.ndarray:
    """F1 of (B, 4) draws of the cells (tn, fp, fn, tp); NaN where undefined."""
    tp, fp, fn = draws[:, 3], draws[:, 1], draws[:, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1: np.ndarray = 2 * tp / (2 * tp + fp + fn)
    return f1


def f1_differences(baseline: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Replicate differences of F1 from each side's confusion cells (tn, fp, fn, tp)."""
    rng = np.random.default_rng(SEED)
    sides = []
    for cells in (baseline, candidate):
        n = int(cells.sum())
        sides.append(_f1(rng.multinomial(n, cells / n, size=REPLICATES)))
    result: np.ndarray = sides[1] - sides[0]
    return result


def weighted_average_precision(truth: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average precision, sum over score thresholds of (R_k - R_k-1)·P_k, for each row of `weights`
    (B, n) (row counts of a resample); NaN where a replicate has no positive weight."""
    order = np.argsort(-scores, kind="mergesort")
    y, s, w = truth[order].astype(float), scores[order], weights[:, order].astype(float)
    ends = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last row of each run of tied scores
    tp = np.cumsum(w * y, axis=1)[:, ends]
    fp = np.cumsum(w * (1.0 - y), axis=1)[:, ends]
    gained = np.diff(tp, axis=1, prepend=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = tp / (tp + fp)
        ap: np.ndarray = np.where(gained > 0, gained * precision, 0.0).sum(axis=1) / tp[:, -1]
    return ap


def _row_counts(rng: np.random.Generator, n: int, replicates: int) -> np.ndarray:
    """(replicates, n) counts of how often each row is drawn in resamples of n rows."""
    draws = rng.integers(0, n, size=(replicates, n)) + (np.arange(replicates) * n)[:, None]
    counts: np.ndarray = np.bincount(draws.ravel(), minlength=replicates * n).reshape(replicates, n)
    return counts


def _blocks(rng: np.random.Generator, n: int, statistic: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    block = max(1, min(REPLICATES, BLOCK_CELLS // max(n, 1)))
    values = [
        statistic(_row_counts(rng, n, min(block, REPLICATES - start)))
        for start in range(0, REPLICATES, block)
    ]
    return np.concatenate(values)


def average_precision_differences(
    baseline: tuple[np.ndarray, np.ndarray], candidate: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Replicate differences of average precision; each side is (truth as booleans, scores)."""
    rng = np.random.default_rng(SEED)
    sides = []
    for truth, scores in (baseline, candidate):
        sides.append(_blocks(rng, len(scores), partial(weighted_average_precision, truth, scores)))
    result: np.ndarray = sides[1] - sides[0]
    return result


def _quantiles_of_resamples(rng: np.random.Generator, values: np.ndarray, q: float) -> np.ndarray:
    if len(values) > QUANTILE_ROW_CAP:
        values = rng.choice(values, QUANTILE_ROW_CAP, replace=False)
    n = len(values)
    block = max(1, min(REPLICATES, BLOCK_CELLS // n))
    out = [
        np.percentile(values[rng.integers(0, n, size=(min(block, REPLICATES - start), n))], q, axis=1)
        for start in range(0, REPLICATES, block)
    ]
    return np.concatenate(out)


def quantile_differences(baseline: np.ndarray, candidate: np.ndarray, q: float) -> np.ndarray:
    """Replicate differences of the q-th percentile (0-100, numpy's default method)."""
    rng = np.random.default_rng(SEED)
    b = _quantiles_of_resamples(rng, baseline, q)
    c = _quantiles_of_resamples(rng, candidate, q)
    result: np.ndarray = c - b
    return result
