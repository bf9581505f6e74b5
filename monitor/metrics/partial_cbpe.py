"""Partial summaries for confidence-based performance estimation (monitor.metrics.estimation and
estimation_multiclass): a piece of a window is summarised on its own, the summaries merge (in any
order; the summary of no rows is the identity), and the estimates come from the merged summary.

CBPE's estimates are functions of sums over the window's rows of its calibrated probabilities, so
these merge exactly:
- binary accuracy, precision, recall, F1, Brier score and log loss, value and sampling error
  (monitor.metrics.estimation.CbpeSums);
- multiclass accuracy (value and sampling error), precision, recall and F1 (values: the expected
  confusion counts A_k, m_k and S_k per class).
What does not:
- ROC AUC ranks each row's raw score among the whole window's. Each piece counts its rows per bin of
  a score grid (monitor.metrics.score_histogram, 4,096 bins) with the sum of their probabilities, of
  p (1 - p), and their least and greatest p; a row's rank is then its bin's midrank. A row's true
  rank differs from that by at most (c - 1) / 2 in a bin of c rows, and the weighted rank sum by at
  most (c - 1) / 2 * sum |p_i - mean p| <= (c - 1) / 2 * min(c (max p - min p), 2 P (c - P) / c)
  per bin (P the bin's sum of p); the AUC's bound is their sum over M (n - M). Its sampling error
  uses the bins' midranks too: approximate.
- Multiclass sampling errors other than accuracy's: one machine draws label sets for a sample of the
  window's rows, which does not merge. They are left out (no error and no band), as an estimate
  computed without errors is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from monitor.metrics.calibration import Calibration
from monitor.metrics.estimation import (
    BINARY_ESTIMABLE,
    CbpeSums,
    EstimatedMetric,
    RankSums,
    auc_estimate,
    binary_estimates,
    cbpe_sums,
)
from monitor.metrics.estimation_multiclass import (
    MULTICLASS_ESTIMABLE,
    MulticlassCalibration,
    averaged_counts,
    class_aucs,
    macro_auc,
)
from monitor.metrics.partial_base import joined_presence
from monitor.metrics.score_histogram import ScoreGrid

EXACT_ERROR = "sampling error as on one machine (sums over rows)"
BINNED_ERROR = "sampling error from the bins' midranks (approximate)"
NO_ERROR = (
    "no sampling error: one machine draws labels for a sample of the window's rows, which does not merge"
)


@dataclass(frozen=True)
class MergedEstimate:
    value: EstimatedMetric
    exact: bool  # the value equal to the single-process estimate on the same rows
    bound: float | None = None  # when not exact: |value - the single-process value| <= bound
    sampling_error: str = ""  # how the sampling error was computed


@dataclass(frozen=True, eq=False)
class WeightedBins:
    """Rows per bin of a score grid, the sums of their p and p (1 - p), and their least and greatest p."""

    grid: ScoreGrid
    rows: np.ndarray
    mass: np.ndarray
    variance: np.ndarray
    least: np.ndarray  # +inf in an empty bin
    most: np.ndarray  # -inf in an empty bin

    @classmethod
    def of(cls, grid: ScoreGrid, scores: np.ndarray, p: np.ndarray) -> WeightedBins:
        index, size = grid.index(scores), grid.bins + 1
        least, most = np.full(size, math.inf), np.full(size, -math.inf)
        np.minimum.at(least, index, p)
        np.maximum.at(most, index, p)
        return cls(
            grid,
            np.bincount(index, minlength=size).astype(np.int64),
            np.bincount(index, weights=p, minlength=size),
            np.bincount(index, weights=p * (1 - p), minlength=size),
            least,
            most,
        )

    def merge(self, other: WeightedBins) -> WeightedBins:
        if other.grid != self.grid:
            raise ValueError(f"score bins on different grids ({self.grid} and {other.grid}) do not merge")
        return WeightedBins(
            self.grid,
            self.rows + other.rows,
            self.mass + other.mass,
            self.variance + other.variance,
            np.minimum(self.least, other.least),
            np.maximum(self.most, other.most),
        )

    def rank_sums(self) -> tuple[RankSums, float]:
        """The rank sums with each row at its bin's midrank, and the bound on the error of the sum
        of p times rank."""
        c = self.rows.astype(float)
        midrank = np.cumsum(c) - c + (c + 1) / 2
        occupied = self.rows > 0
        spread = np.zeros_like(c)
        spread[occupied] = np.minimum(
            c[occupied] * (self.most[occupied] - self.least[occupied]),
            2 * self.mass[occupied] * (c[occupied] - self.mass[occupied]) / c[occupied],
        ).clip(0.0)
        sums = RankSums(
            int(self.rows.sum()),
            float(self.mass.sum()),
            float(np.dot(midrank, self.mass)),
            float(np.dot(midrank**2, self.variance)),
            float(self.variance.sum()),
            float(np.dot(midrank, self.variance)),
        )
        return sums, float(np.dot((c - 1) / 2, spread))


@dataclass(frozen=True, eq=False)
class CbpePartial:
    """A piece of a binary classifier's window, for CBPE."""

    seen: int = 0  # rows, with or without a finite score
    has_predictions: bool | None = None
    sums: CbpeSums = field(default_factory=CbpeSums)
    bins: WeightedBins | None = None

    def merge(self, other: CbpePartial) -> CbpePartial:
        bins = (
            self.bins
            if other.bins is None
            else other.bins
            if self.bins is None
            else self.bins.merge(other.bins)
        )
        return CbpePartial(
            self.seen + other.seen,
            joined_presence(self.has_predictions, other.has_predictions, "a prediction column"),
            self.sums.merge(other.sums),
            bins,
        )


def cbpe_partial(
    calibration: Calibration, scores: np.ndarray, predicted: np.ndarray | None, grid: ScoreGrid | None = None
) -> CbpePartial:
    """The summary of a piece, with estimate_binary's arguments; `grid`: the bins of the raw scores
    (by default [0, 1])."""
    raw = np.asarray(scores, dtype=float)
    keep = np.isfinite(raw)
    decided = None if predicted is None else np.asarray(predicted, dtype=bool)[keep]
    p, kept = calibration.apply(raw[keep]), raw[keep]
    bins = WeightedBins.of(grid or ScoreGrid(), kept, p) if keep.any() else None
    return CbpePartial(len(raw), predicted is not None, cbpe_sums(p, kept, decided), bins)


def _approximate_auc(bins: WeightedBins) -> tuple[EstimatedMetric, float]:
    sums, s_bound = bins.rank_sums()
    estimate = auc_estimate(sums)
    pairs = sums.m * (sums.n - sums.m)
    return estimate, s_bound / pairs if pairs > 0 else math.inf


def cbpe_estimates(partial: CbpePartial, metrics: Sequence[str]) -> list[MergedEstimate]:
    """estimate_binary's estimates from a merged summary."""
    wanted = [m for m in metrics if m in BINARY_ESTIMABLE]
    if partial.bins is None:
        status = "no_rows" if partial.seen == 0 else "no_scores"
        return [MergedEstimate(EstimatedMetric.missing(m, 0, "cbpe", status), True) for m in wanted]
    auc, bound = _approximate_auc(partial.bins)
    found = binary_estimates(wanted, partial.sums, bool(partial.has_predictions), lambda: auc)
    return [
        MergedEstimate(e, False, bound, BINNED_ERROR)
        if e.metric == "roc_auc" and e.status == "ok"
        # a missing AUC says single_class: M is a sum of p, exact
        else MergedEstimate(e, True, None, EXACT_ERROR if e.status == "ok" else "")
        for e in found
    ]


@dataclass(frozen=True, eq=False)
class CbpeMulticlassPartial:
    """A piece of a multiclass classifier's window, for CBPE; per class (the calibration's order) the
    expected true positives a, predicted rows m and expected support s."""

    seen: int = 0
    has_predictions: bool | None = None
    rows: int = 0
    right: float = 0.0  # sum of each row's probability of its predicted class
    right_variance: float = 0.0
    a: np.ndarray = field(default_factory=lambda: np.zeros(0))
    m: np.ndarray = field(default_factory=lambda: np.zeros(0))
    s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bins: tuple[WeightedBins, ...] = ()

    def merge(self, other: CbpeMulticlassPartial) -> CbpeMulticlassPartial:
        if not self.bins or not other.bins:
            mine = self if self.bins else other
            return CbpeMulticlassPartial(
                self.seen + other.seen,
                joined_presence(self.has_predictions, other.has_predictions, "a prediction column"),
                *(mine.rows, mine.right, mine.right_variance, mine.a, mine.m, mine.s, mine.bins),
            )
        if len(self.bins) != len(other.bins):
            raise ValueError("pieces of one window score different numbers of classes")
        return CbpeMulticlassPartial(
            self.seen + other.seen,
            joined_presence(self.has_predictions, other.has_predictions, "a prediction column"),
            self.rows + other.rows,
            self.right + other.right,
            self.right_variance + other.right_variance,
            self.a + other.a,
            self.m + other.m,
            self.s + other.s,
            tuple(x.merge(y) for x, y in zip(self.bins, other.bins, strict=True)),
        )


def cbpe_multiclass_partial(
    calibration: MulticlassCalibration,
    scores: np.ndarray,
    predicted: np.ndarray | None,
    grid: ScoreGrid | None = None,
) -> CbpeMulticlassPartial:
    """The summary of a piece, with estimate_multiclass's arguments."""
    keep = np.isfinite(scores).all(axis=1) if scores.size else np.zeros(len(scores), dtype=bool)
    n = int(keep.sum())
    if n == 0:
        return CbpeMulticlassPartial(len(scores), predicted is not None)
    p = calibration.apply(scores[keep])
    k = p.shape[1]
    decided = np.full(n, -1) if predicted is None else np.asarray(predicted)[keep]
    hit = np.where(decided >= 0, p[np.arange(n), np.clip(decided, 0, k - 1)], 0.0)
    chosen = decided[:, None] == np.arange(k)[None, :]
    grid = grid or ScoreGrid()
    return CbpeMulticlassPartial(
        len(scores),
        predicted is not None,
        n,
        float(np.sum(hit)),
        float(np.sum(hit * (1 - hit))),
        (p * chosen).sum(axis=0),
        chosen.sum(axis=0).astype(float),
        p.sum(axis=0),
        tuple(WeightedBins.of(grid, scores[keep][:, j], p[:, j]) for j in range(k)),
    )


def _multiclass_auc(partial: CbpeMulticlassPartial) -> MergedEstimate:
    found = [b.rank_sums() for b in partial.bins]
    n = partial.rows
    mass = np.array([sums.m for sums, _ in found])
    weighted = np.array([sums.s for sums, _ in found])
    per = class_aucs(mass, weighted, n)
    value = float(macro_auc(mass, weighted, n))
    if not math.isfinite(value):
        return MergedEstimate(EstimatedMetric.missing("roc_auc", n, "cbpe", "undefined"), True)
    bounds = np.array([bound for _, bound in found]) / (mass * (n - mass))
    bound = float(np.mean(bounds[np.isfinite(per)]))
    return MergedEstimate(EstimatedMetric("roc_auc", value, None, n, "cbpe"), False, bound, NO_ERROR)


def _multiclass_estimate(partial: CbpeMulticlassPartial, metric: str, average: str) -> MergedEstimate:
    n = partial.rows
    if metric == "roc_auc":
        return _multiclass_auc(partial)
    if not partial.has_predictions:
        return MergedEstimate(EstimatedMetric.missing(metric, n, "cbpe", "no_predictions"), True)
    if metric == "accuracy":
        error = math.sqrt(partial.right_variance) / n
        return MergedEstimate(
            EstimatedMetric.of(metric, partial.right / n, error, n, "cbpe"), True, None, EXACT_ERROR
        )
    value = float(averaged_counts(metric, partial.a, partial.m, partial.s, average))
    if not math.isfinite(value):
        return MergedEstimate(EstimatedMetric.missing(metric, n, "cbpe", "undefined"), True)
    return MergedEstimate(EstimatedMetric(metric, value, None, n, "cbpe"), True, None, NO_ERROR)


def cbpe_multiclass_estimates(
    partial: CbpeMulticlassPartial, metrics: Sequence[str], *, average: str = "macro"
) -> list[MergedEstimate]:
    """estimate_multiclass's estimates from a merged summary."""
    wanted = [m for m in metrics if m in MULTICLASS_ESTIMABLE]
    if partial.rows == 0:
        status = "no_rows" if partial.seen == 0 else "no_scores"
        return [MergedEstimate(EstimatedMetric.missing(m, 0, "cbpe", status), True) for m in wanted]
    return [_multiclass_estimate(partial, m, average) for m in wanted]
