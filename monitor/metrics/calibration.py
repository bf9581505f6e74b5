"""How far a classifier's scores are from probabilities, and the map that makes them so. Pure numpy
and scikit-learn.

Performance estimation (monitor.metrics.estimation) reads a calibrated score as the probability
that the row is positive. On the labelled reference:

- the expected calibration error (ECE) of the raw scores: rows sorted by score into ECE_BINS bins of
  equal counts, ECE = sum over bins of (bin rows / rows) * |mean label - mean score|;
- an isotonic regression of the label on the score (scikit-learn's IsotonicRegression, clipped to
  [0, 1] and to the reference's score range), as NannyML's CBPE calibrates, except that a level of
  0 or 1 (k = 0 or n positives among n rows) becomes (k + 1/2) / (n + 1): no score maps to a
  certainty;
- the ECE and the log loss of that map out of fold (CALIBRATION_FOLDS folds, fixed seed), so the map
  is not judged on the rows it was fitted to. The map is applied only when it predicts the labels
  better out of fold than the raw scores do (a lower log loss; NannyML compares ECEs, which cannot
  see the extremes): a model already calibrated keeps its own scores, whose resolution near 0 and 1
  no step function fitted on a few thousand rows matches.

Raw scores with an ECE above `max_ece` are badly calibrated there: a warning says so. Note that the
ECE of a perfectly calibrated model is not 0 on a finite reference: each bin's mean label varies by
about sqrt(p(1-p) / (rows / ECE_BINS)), 0.015 at 5,000 rows and p = 0.2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression

ECE_BINS = 10
CALIBRATION_FOLDS = 5
SEED = 20_261_201
DEFAULT_MAX_ECE = 0.05


def expected_calibration_error(truth: np.ndarray, probabilities: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE over `bins` bins of (nearly) equal counts of rows sorted by probability."""
    y = np.asarray(truth, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    if len(y) == 0:
        return float("nan")
    order = np.argsort(p, kind="stable")
    total = 0.0
    for chunk in np.array_split(order, min(bins, len(order))):
        total += len(chunk) * abs(float(y[chunk].mean()) - float(p[chunk].mean()))
    return total / len(y)


def _isotonic(scores: np.ndarray, truth: np.ndarray) -> IsotonicRegression:
    model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    model.fit(scores, truth)
    return model


def _smoothed_knots(model: IsotonicRegression, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The isotonic map's knots with a level of 0 or 1 (a block of k = 0 or n positives in n rows)
    moved to (k + 1/2) / (n + 1), and monotonicity restored by a weighted isotonic fit over the
    levels: a block of 1,000 positives is 0.9995 rather than a certainty the reference cannot show,
    which would make a window whose rows sit there look free of negatives."""
    fitted = model.predict(scores)
    levels, counts = np.unique(fitted, return_counts=True)
    certain = (levels == 0.0) | (levels == 1.0)
    smoothed = np.where(certain, (levels * counts + 0.5) / (counts + 1), levels)
    ordered = IsotonicRegression(y_min=0.0, y_max=1.0).fit(levels, smoothed, sample_weight=counts + 1)
    x, y = np.asarray(model.X_thresholds_), np.asarray(model.y_thresholds_)
    return x, ordered.predict(y)


def _log_loss(truth: np.ndarray, probabilities: np.ndarray) -> float:
    p = np.clip(probabilities, 1e-15, 1 - 1e-15)
    return float(-np.mean(np.where(truth > 0.5, np.log(p), np.log1p(-p))))


def _out_of_fold(scores: np.ndarray, truth: np.ndarray, folds: int) -> np.ndarray:
    """Each row's calibrated score from a map fitted on the other folds."""
    rng = np.random.default_rng(SEED)
    fold = rng.permutation(len(scores)) % folds
    out = np.empty(len(scores), dtype=float)
    for k in range(folds):
        test = fold == k
        train = _isotonic(scores[~test], truth[~test])
        knots_x, knots_y = _smoothed_knots(train, scores[~test])
        out[test] = np.interp(scores[test], knots_x, knots_y)
    return out


@dataclass(frozen=True)
class Calibration:
    """A monotone map from raw score to probability (linear between its knots, flat outside them),
    or the identity when `applied` is False; and how well calibrated the scores are."""

    knots_x: tuple[float, ...]
    knots_y: tuple[float, ...]
    applied: bool
    raw_ece: float  # of the raw scores on the reference
    calibrated_ece: float  # of the isotonic map, out of fold
    max_ece: float
    reference_rows: int

    def apply(self, scores: np.ndarray) -> np.ndarray:
        s = np.asarray(scores, dtype=float)
        if not self.applied:
            clipped: np.ndarray = np.clip(s, 0.0, 1.0)
            return clipped
        mapped: np.ndarray = np.interp(s, np.asarray(self.knots_x), np.asarray(self.knots_y))
        return mapped

    @property
    def ece(self) -> float:
        """The ECE of the scores the estimates use."""
        return self.calibrated_ece if self.applied else self.raw_ece

    @property
    def warning(self) -> str | None:
        """Why the estimates deserve less trust, or None."""
        if self.raw_ece <= self.max_ece:
            return None
        text = (
            f"the model's scores are badly calibrated on the reference (expected calibration error "
            f"{self.raw_ece:.3f} > {self.max_ece:g})"
        )
        if self.ece > self.max_ece:
            return text + f"; even recalibrated it is {self.ece:.3f}: the estimates are unreliable"
        return text + f"; estimates use isotonic-recalibrated scores (error {self.ece:.3f} out of fold)"

    def to_json(self) -> dict[str, object]:
        return {
            "knots_x": list(self.knots_x),
            "knots_y": list(self.knots_y),
            "applied": self.applied,
            "raw_ece": self.raw_ece,
            "calibrated_ece": self.calibrated_ece,
            "max_ece": self.max_ece,
            "reference_rows": self.reference_rows,
        }


def fit_calibration(
    truth: np.ndarray, scores: np.ndarray, *, max_ece: float = DEFAULT_MAX_ECE, folds: int = CALIBRATION_FOLDS
) -> Calibration:
    """The calibration of `scores` (probability of the positive class) against boolean `truth`, from
    the labelled reference. Rows with a non-finite score are left out."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(truth, dtype=bool)
    keep = np.isfinite(s)
    s, y = s[keep], y[keep].astype(float)
    if len(s) < 2 * folds or y.min() == y.max():
        raise ValueError("calibration needs a labelled reference with both classes and enough rows")
    clipped, mapped = np.clip(s, 0.0, 1.0), _out_of_fold(s, y, folds)
    raw, calibrated = expected_calibration_error(y, clipped), expected_calibration_error(y, mapped)
    knots_x, knots_y = _smoothed_knots(_isotonic(s, y), s)
    return Calibration(
        tuple(float(v) for v in knots_x),
        tuple(float(v) for v in knots_y),
        applied=_log_loss(y, mapped) < _log_loss(y, clipped),
        raw_ece=raw,
        calibrated_ece=calibrated,
        max_ece=max_ece,
        reference_rows=len(s),
    )
