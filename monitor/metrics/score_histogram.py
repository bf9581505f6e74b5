"""ROC AUC, its DeLong variance and average precision from counts of positive and negative scores on
a fixed grid of bins: summaries that merge by adding counts, so a window split into pieces gives the
same result whatever the split. Pure numpy.

The grid: SCORE_BINS (2^12 = 4096) bins of equal width over [low, high] ([0, 1] for probabilities),
bin k holding [low + k w, low + (k + 1) w), and one more bin for scores equal to `high`. Scores below
`low` fall into the first bin and scores above `high` into the last, so the map from score to bin
never reverses an order (each floating-point step is monotone); `outside` counts them.

What a histogram loses is the order of scores within a bin, so:
- ROC AUC counts a positive and a negative in one bin as a tie (1/2), the trapezoid on the binned
  ROC curve. The exact AUC counts that pair 0, 1/2 or 1, so |binned - exact| <= 1/2 * (pairs in a
  common bin) / (positives * negatives): the bound reported with the value. It is 0 (the values are
  equal) when each bin holds at most one distinct score: scores on the grid (multiples of 1/4096 on
  [0, 1], which includes every score rounded to 3 decimals, 0.001 > 1/4096 apart).
- Average precision on the binned scores counts each bin as one threshold (as scikit-learn counts
  tied scores). Within a bin the positives' precisions lie between (T + 1) / (T + 1 + F + n_b) and
  (T + p_b) / (T + p_b + F), with T, F the positives and negatives of higher bins and p_b, n_b the
  bin's: the exact AP lies between the sums over bins of these ends, and the bound is the larger
  distance from the binned AP to either.
- DeLong's variance of the binned AUC: the structural components of a positive (share of negatives
  below it, ties half) and of a negative (share of positives above it) are constant within a bin, so
  the variance is that of DeLong's algorithm on the binned scores, exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SCORE_BINS = 2**12


@dataclass(frozen=True)
class ScoreGrid:
    low: float = 0.0
    high: float = 1.0
    bins: int = SCORE_BINS

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"a score grid needs finite low < high, not [{self.low}, {self.high}]")
        if self.bins < 1:
            raise ValueError("a score grid needs at least one bin")

    def index(self, scores: np.ndarray) -> np.ndarray:
        """Each finite score's bin, 0.. bins (bins: the score `high`, and above)."""
        position = np.floor((scores - self.low) / (self.high - self.low) * self.bins)
        index: np.ndarray = np.clip(position, 0, self.bins).astype(np.int64)
        return index


@dataclass(frozen=True, eq=False)
class ScoreHistogram:
    """Positive and negative rows per bin of a grid (bins + 1 counts each)."""

    grid: ScoreGrid
    positive: np.ndarray
    negative: np.ndarray
    outside: int = 0  # rows whose score lies outside [low, high], counted in the end bins

    @classmethod
    def empty(cls, grid: ScoreGrid) -> ScoreHistogram:
        zeros = np.zeros(grid.bins + 1, dtype=np.int64)
        return cls(grid, zeros, zeros.copy())

    @classmethod
    def of(cls, grid: ScoreGrid, truth: np.ndarray, scores: np.ndarray) -> ScoreHistogram:
        """The histogram of finite `scores` with boolean `truth` (True: positive)."""
        index = grid.index(scores)
        size = grid.bins + 1
        positive = np.bincount(index[truth], minlength=size).astype(np.int64)
        negative = np.bincount(index[~truth], minlength=size).astype(np.int64)
        outside = int(np.sum((scores < grid.low) | (scores > grid.high)))
        return cls(grid, positive, negative, outside)

    def merge(self, other: ScoreHistogram) -> ScoreHistogram:
        if other.grid != self.grid:
            raise ValueError(
                f"score histograms on different grids ({self.grid} and {other.grid}) do not merge"
            )
        return ScoreHistogram(
            self.grid,
            self.positive + other.positive,
            self.negative + other.negative,
            self.outside + other.outside,
        )

    @property
    def positives(self) -> int:
        return int(self.positive.sum())

    @property
    def negatives(self) -> int:
        return int(self.negative.sum())


@dataclass(frozen=True)
class BinnedValue:
    value: float
    bound: float  # |value - the value on the exact scores| <= bound


def roc_auc(h: ScoreHistogram) -> BinnedValue | None:
    """The AUC of the binned scores (ties within a bin count half); None without both classes."""
    pairs = float(h.positives) * float(h.negatives)
    if pairs == 0:
        return None
    pos, neg = h.positive.astype(float), h.negative.astype(float)
    below = np.cumsum(neg) - neg
    wins = float(np.dot(pos, below + 0.5 * neg))
    return BinnedValue(wins / pairs, 0.5 * float(np.dot(pos, neg)) / pairs)


def delong_variance(h: ScoreHistogram, auc: float) -> float:
    """DeLong's variance of the binned AUC; NaN with fewer than two rows of a class."""
    m, n = h.positives, h.negatives
    if m < 2 or n < 2:
        return math.nan
    pos, neg = h.positive.astype(float), h.negative.astype(float)
    below_neg = np.cumsum(neg) - neg
    above_pos = pos.sum() - np.cumsum(pos)
    v_pos = (below_neg + 0.5 * neg) / n  # per positive of a bin: share of negatives below it
    v_neg = (above_pos + 0.5 * pos) / m  # per negative of a bin: share of positives above it
    var_pos = float(np.dot(pos, (v_pos - auc) ** 2)) / (m - 1)
    var_neg = float(np.dot(neg, (v_neg - auc) ** 2)) / (n - 1)
    return var_pos / m + var_neg / n


def average_precision(h: ScoreHistogram) -> BinnedValue | None:
    """Average precision of the binned scores, each bin one threshold; None without positives."""
    total = h.positives
    if total == 0:
        return None
    pos, neg = h.positive[::-1].astype(float), h.negative[::-1].astype(float)  # highest scores first
    tp, fp = np.cumsum(pos), np.cumsum(neg)
    before_tp, before_fp = tp - pos, fp - neg
    has = pos > 0
    binned = tp[has] / (tp[has] + fp[has])
    lowest = (before_tp[has] + 1) / (before_tp[has] + 1 + fp[has])
    highest = tp[has] / (tp[has] + before_fp[has])
    weight = pos[has] / total
    value = float(np.dot(weight, binned))
    low, high = float(np.dot(weight, lowest)), float(np.dot(weight, highest))
    return BinnedValue(value, max(high - value, value - low, 0.0))
