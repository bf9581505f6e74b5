"""A monitor's performance estimator, fitted once on its labelled reference: the calibration (CBPE) or
the loss models (DLE), and each metric's level and spread on chunks of the reference, which change
detection standardises a window's value with (monitor.metrics.change). Pure: DataFrames in.

The level and spread are learned by drawing REFERENCE_CHUNKS chunks of `chunk_rows` rows from the
reference with replacement (each chunk a fresh sample of the reference population, as a window of
that size would be) and computing the metric on each: realised (with the reference's labels) and
estimated (as the estimator would on a window). Their mean and standard deviation are the
parameters; a window of n rows has standard deviation std * sqrt(chunk_rows / n).

Given each reference row's segment (`segments`, named as the pipeline names a window's), the same is
learned on each segment's rows alone, for segments with at least MIN_SEGMENT_ROWS usable rows: a
segment's series is compared with its own level, not the whole reference's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from monitor.metrics.calibration import Calibration, fit_calibration
from monitor.metrics.change import ChangeParameters
from monitor.metrics.classification import matches, present
from monitor.metrics.estimation import BinaryRows, EstimatedMetric, estimate_binary, estimate_binary_rows
from monitor.metrics.estimation_multiclass import (
    MulticlassCalibration,
    estimate_multiclass,
    fit_multiclass_calibration,
    multiclass_values,
)
from monitor.metrics.loss_estimation import LossEstimator, estimate_regression, fit_loss_estimator
from monitor.metrics.partial_cbpe import (
    CbpeMulticlassPartial,
    CbpePartial,
    MergedEstimate,
    cbpe_estimates,
    cbpe_multiclass_estimates,
    cbpe_multiclass_partial,
    cbpe_partial,
)
from monitor.metrics.partial_dle import DlePartial, dle_estimates, dle_partial
from monitor.metrics.score_histogram import ScoreGrid

EstimatePartial = CbpePartial | CbpeMulticlassPartial | DlePartial
REFERENCE_CHUNKS = 200
DEFAULT_CHUNK_ROWS = 1000
SEED = 20_261_203
MIN_SEGMENT_ROWS = 200  # fewer reference rows of a segment know its level too roughly to judge it by

# "realised" or "estimated" -> metric -> its level and spread on reference chunks
Parameters = dict[str, dict[str, ChangeParameters]]
# Each metric's values over chunks of rows (rows given as index arrays, one chunk a row): realised
# and estimated, NaN where undefined.
ChunkValues = Callable[[np.ndarray], tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]


@dataclass(frozen=True)
class EstimatorInputs:
    """What the estimator is fitted for: the task, the metrics, and the columns holding each role."""

    task: str  # binary_classification or regression
    metrics: tuple[str, ...]
    label: str
    prediction: str | None
    score: str | None
    features: tuple[str, ...] = ()  # DLE's inputs besides the prediction
    positive_label: object = 1
    max_ece: float = 0.05
    chunk_rows: int | None = None
    # Multiclass: (class, its probability column), classes sorted as scikit-learn orders them.
    class_scores: tuple[tuple[str, str], ...] = ()
    average: str = "macro"  # multiclass precision, recall and F1


@dataclass
class PerformanceEstimator:
    inputs: EstimatorInputs
    reference_rows: int
    calibration: Calibration | None = None
    losses: LossEstimator | None = None
    multiclass: MulticlassCalibration | None = None
    parameters: Parameters = field(default_factory=dict)
    # Each segment's own parameters, by segment name (segments with too few reference rows absent),
    # when the reference named its rows' segments (`by_segment`).
    segment_parameters: dict[str, Parameters] = field(default_factory=dict)
    by_segment: bool = False

    @property
    def method(self) -> str:
        return "cbpe" if self.inputs.task == "binary_classification" else "dle"

    @property
    def warning(self) -> str | None:
        if self.multiclass is not None:
            return self.multiclass.warning
        return self.calibration.warning if self.calibration is not None else None

    def estimate(self, frame: pd.DataFrame) -> list[EstimatedMetric]:
        """The estimated metrics of a window's rows (no label needed)."""
        metrics = self.inputs.metrics
        if self.losses is not None:
            return estimate_regression(metrics, self.losses, frame, _predictions(frame, self.inputs))
        if self.multiclass is not None:
            scores, predicted = _class_outputs(frame, self.inputs)
            return estimate_multiclass(
                metrics, self.multiclass, scores, predicted, average=self.inputs.average
            )
        assert self.calibration is not None
        scores, predicted = _binary_outputs(frame, self.inputs)
        return estimate_binary(metrics, self.calibration, scores, predicted)

    def partial(self, frame: pd.DataFrame, grid: ScoreGrid | None = None) -> EstimatePartial:
        """The summary of a piece of a window's rows: merged with the other pieces' (`merge`),
        `from_partial` gives the window's estimates. `grid`: the bins of the raw scores for ROC AUC
        (by default [0, 1])."""
        if self.losses is not None:
            return dle_partial(self.losses, frame, _predictions(frame, self.inputs))
        if self.multiclass is not None:
            scores, predicted = _class_outputs(frame, self.inputs)
            return cbpe_multiclass_partial(self.multiclass, scores, predicted, grid)
        assert self.calibration is not None
        scores, predicted = _binary_outputs(frame, self.inputs)
        return cbpe_partial(self.calibration, scores, predicted, grid)

    def empty_partial(self) -> EstimatePartial:
        """The summary of no rows, the identity of `merge`."""
        if self.losses is not None:
            return DlePartial()
        return CbpeMulticlassPartial() if self.multiclass is not None else CbpePartial()

    def from_partial(self, partial: EstimatePartial) -> list[MergedEstimate]:
        """The window's estimates from the merged summary of its pieces, each saying whether it is
        exactly the single-process estimate (monitor.metrics.partial_cbpe says which are)."""
        metrics = self.inputs.metrics
        if isinstance(partial, DlePartial) and self.losses is not None:
            return dle_estimates(partial, metrics, self.losses)
        if isinstance(partial, CbpeMulticlassPartial) and self.multiclass is not None:
            return cbpe_multiclass_estimates(partial, metrics, average=self.inputs.average)
        if isinstance(partial, CbpePartial) and self.calibration is not None:
            return cbpe_estimates(partial, metrics)
        raise ValueError(f"a {type(partial).__name__} is not a summary for this {self.inputs.task} estimator")


def merge(a: EstimatePartial, b: EstimatePartial) -> EstimatePartial:
    """The summary of the rows of both pieces."""
    if type(a) is not type(b):
        raise ValueError(f"a {type(a).__name__} does not merge with a {type(b).__name__}")
    return a.merge(b)  # type: ignore[arg-type]


def estimate_mixed(
    parts: Sequence[tuple[PerformanceEstimator, pd.DataFrame]],
) -> list[EstimatedMetric] | None:
    """The estimate over the rows of every part, each part's rows calibrated by its own estimator
    (a window whose rows several models scored, each with a reference of its own); binary CBPE only:
    None when a part's estimator is another kind. The metrics are the first part's."""
    rows = []
    for estimator, frame in parts:
        if estimator.calibration is None or estimator.inputs.task != "binary_classification":
            return None
        rows.append(BinaryRows(estimator.calibration, *_binary_outputs(frame, estimator.inputs)))
    return estimate_binary_rows(parts[0][0].inputs.metrics, rows) if parts else None


def _predictions(frame: pd.DataFrame, inputs: EstimatorInputs) -> np.ndarray:
    column = inputs.prediction
    if column is None or column not in frame.columns:
        return np.full(len(frame), np.nan)
    values: np.ndarray = pd.to_numeric(frame[column], errors="coerce").to_numpy(float, na_value=np.nan)
    return values


def _binary_outputs(frame: pd.DataFrame, inputs: EstimatorInputs) -> tuple[np.ndarray, np.ndarray | None]:
    """Scores (NaN where missing, and where the prediction is) and predicted positives."""
    if inputs.score is None or inputs.score not in frame.columns:
        return np.full(len(frame), np.nan), None
    scores = pd.to_numeric(frame[inputs.score], errors="coerce").to_numpy(float, na_value=np.nan)
    if inputs.prediction is None or inputs.prediction not in frame.columns:
        return scores, None
    raw = frame[inputs.prediction].to_numpy()
    scores = np.where(present(raw), scores, np.nan)  # a row without its prediction is left out
    return scores, matches(raw, inputs.positive_label)


def _class_outputs(frame: pd.DataFrame, inputs: EstimatorInputs) -> tuple[np.ndarray, np.ndarray | None]:
    """(rows, classes) probabilities (NaN where a column is missing) and each row's predicted class
    index (-1 for a class the scores do not name, or no prediction)."""
    columns = []
    for _, column in inputs.class_scores:
        values = pd.to_numeric(frame[column], errors="coerce") if column in frame.columns else None
        columns.append(
            np.full(len(frame), np.nan) if values is None else values.to_numpy(float, na_value=np.nan)
        )
    scores = np.column_stack(columns) if columns else np.empty((len(frame), 0))
    if inputs.prediction is None or inputs.prediction not in frame.columns:
        return scores, None
    index = {cls: i for i, (cls, _) in enumerate(inputs.class_scores)}
    raw = frame[inputs.prediction]
    text = raw.astype(str).where(raw.notna(), None)
    return scores, text.map(index).fillna(-1).to_numpy(dtype=int)


def _chunks(rows: int, chunk_rows: int | None) -> np.ndarray:
    size = chunk_rows or min(DEFAULT_CHUNK_ROWS, max(20, rows // 2))
    indices: np.ndarray = np.random.default_rng(SEED).integers(0, rows, (REFERENCE_CHUNKS, size))
    return indices


def _parameters(values: np.ndarray, chunk_rows: int) -> ChangeParameters | None:
    finite = values[np.isfinite(values)]
    if len(finite) < REFERENCE_CHUNKS // 2:
        return None  # undefined on most chunks (too few positives, say)
    return ChangeParameters(float(finite.mean()), float(finite.std(ddof=1)), chunk_rows)


def _learn(
    metrics: tuple[str, ...], values: ChunkValues, rows: np.ndarray, chunk_rows: int | None
) -> Parameters:
    """Each metric's level and spread, realised and estimated, on chunks drawn from `rows`."""
    idx = rows[_chunks(len(rows), chunk_rows)]
    realised, estimated = values(idx)
    out: Parameters = {"realised": {}, "estimated": {}}
    for metric in metrics:
        for kind, found in (("realised", realised), ("estimated", estimated)):
            learned = _parameters(np.asarray(found[metric], dtype=float), idx.shape[1])
            if learned is not None:
                out[kind][metric] = learned
    return out


def _auc(truth: np.ndarray, scores: np.ndarray) -> float:
    positives = int(truth.sum())
    if positives in (0, len(truth)):
        return float("nan")
    concordant = rankdata(scores)[truth].sum() - positives * (positives + 1) / 2
    return float(concordant / (positives * (len(truth) - positives)))


def _realised_binary(t: np.ndarray, d: np.ndarray, s: np.ndarray) -> dict[str, np.ndarray]:
    """Each metric over each chunk (rows of the arrays); NaN where undefined."""
    tp, fp, fn = (t & d).sum(1), (~t & d).sum(1), (t & ~d).sum(1)
    eps = np.finfo(float).eps
    clipped = np.clip(s, eps, 1 - eps)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "accuracy": (t == d).mean(1),
            "precision": tp / (tp + fp),
            "recall": tp / (tp + fn),
            "f1": 2 * tp / (2 * tp + fp + fn),
            "roc_auc": np.array([_auc(t[i], s[i]) for i in range(len(t))]),
            "brier": ((np.clip(s, 0, 1) - t) ** 2).mean(1),
            "log_loss": -np.where(t, np.log(clipped), np.log1p(-clipped)).mean(1),
        }


@dataclass(frozen=True)
class _Fit:
    """A fitted estimator before its parameters, the reference rows it used, and how to compute
    each metric over chunks of them (indices into the used rows)."""

    estimator: PerformanceEstimator
    used: np.ndarray  # bool per reference row
    values: ChunkValues


def _estimated(
    metrics: tuple[str, ...], idx: np.ndarray, estimate: Callable[[np.ndarray], list[EstimatedMetric]]
) -> dict[str, np.ndarray]:
    found: dict[str, list[float]] = {m: [] for m in metrics}
    for chunk in idx:
        for e in estimate(chunk):
            found[e.metric].append(np.nan if e.value is None else e.value)
    return {m: np.asarray(v, dtype=float) for m, v in found.items()}


def _fit_binary(inputs: EstimatorInputs, reference: pd.DataFrame) -> _Fit:
    labels = reference[inputs.label].to_numpy()
    scores, predicted = _binary_outputs(reference, inputs)
    keep = present(labels) & np.isfinite(scores)
    if predicted is None:
        raise ValueError(f"CBPE needs the prediction column {inputs.prediction!r} in the reference")
    truth = matches(labels[keep], inputs.positive_label)
    s, d = scores[keep], predicted[keep]
    calibration = fit_calibration(truth, s, max_ece=inputs.max_ece)

    def values(idx: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        realised = _realised_binary(truth[idx], d[idx], s[idx])
        return realised, _estimated(
            inputs.metrics, idx, lambda c: estimate_binary(inputs.metrics, calibration, s[c], d[c])
        )

    return _Fit(PerformanceEstimator(inputs, len(s), calibration=calibration), keep, values)


def _fit_regression(inputs: EstimatorInputs, reference: pd.DataFrame) -> _Fit:
    actual = pd.to_numeric(reference[inputs.label], errors="coerce").to_numpy(float, na_value=np.nan)
    predicted = _predictions(reference, inputs)
    keep = np.isfinite(actual) & np.isfinite(predicted)
    features = reference.loc[keep, [c for c in inputs.features if c in reference.columns]]
    losses = fit_loss_estimator(features, predicted[keep], actual[keep])
    error = actual[keep] - predicted[keep]
    absolute, squared = losses.losses(features, predicted[keep])

    def values(idx: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        realised = {"mae": np.abs(error)[idx].mean(1), "rmse": np.sqrt((error**2)[idx].mean(1))}
        return realised, {"mae": absolute[idx].mean(1), "rmse": np.sqrt(squared[idx].mean(1))}

    return _Fit(PerformanceEstimator(inputs, int(keep.sum()), losses=losses), keep, values)


def _fit_multiclass(inputs: EstimatorInputs, reference: pd.DataFrame) -> _Fit:
    labels = reference[inputs.label]
    scores, predicted = _class_outputs(reference, inputs)
    if predicted is None or not inputs.class_scores:
        raise ValueError("multiclass CBPE needs the prediction and the class score columns in the reference")
    keep = labels.notna().to_numpy() & np.isfinite(scores).all(axis=1)
    classes = [cls for cls, _ in inputs.class_scores]
    truth = labels[keep].astype(str).to_numpy()
    s, d = scores[keep], predicted[keep]
    calibration = fit_multiclass_calibration(truth, s, classes, max_ece=inputs.max_ece)
    onehot = (truth[:, None] == np.array(classes)[None, :]).astype(float)

    def realised_values(idx: np.ndarray) -> dict[str, np.ndarray]:
        found: dict[str, list[float]] = {m: [] for m in inputs.metrics}
        for chunk in idx:
            ranks = np.column_stack([rankdata(s[chunk, k]) for k in range(len(classes))])
            for metric in inputs.metrics:
                found[metric].append(
                    float(multiclass_values(metric, onehot[chunk], d[chunk], ranks, inputs.average))
                )
        return {m: np.asarray(v) for m, v in found.items()}

    def values(idx: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        def estimate(c: np.ndarray) -> list[EstimatedMetric]:
            return estimate_multiclass(
                inputs.metrics, calibration, s[c], d[c], average=inputs.average, with_errors=False
            )

        return realised_values(idx), _estimated(inputs.metrics, idx, estimate)

    return _Fit(PerformanceEstimator(inputs, len(s), multiclass=calibration), keep, values)


_FITS: dict[str, Callable[[EstimatorInputs, pd.DataFrame], _Fit]] = {
    "binary_classification": _fit_binary,
    "multiclass_classification": _fit_multiclass,
    "regression": _fit_regression,
}


def fit_estimator(
    inputs: EstimatorInputs, reference: pd.DataFrame, segments: pd.Series | None = None
) -> PerformanceEstimator:
    """The estimator of `inputs.task` fitted on the labelled reference, with each metric's level and
    spread on it, and on each segment's rows when `segments` names every reference row's segment.
    ValueError when the reference cannot fit one (no label column, one class, too few rows)."""
    if inputs.task not in _FITS:
        raise ValueError(f"{inputs.task} is not estimated")
    if inputs.label not in reference.columns:
        raise ValueError(f"the reference has no label column {inputs.label!r} to fit the estimator on")
    fit = _FITS[inputs.task](inputs, reference)
    estimator = fit.estimator
    used = int(fit.used.sum())
    estimator.parameters = _learn(inputs.metrics, fit.values, np.arange(used), inputs.chunk_rows)
    if segments is not None:
        estimator.by_segment = True
        names = segments.to_numpy()[fit.used]
        for name in sorted(set(names)):
            rows = np.flatnonzero(names == name)
            if len(rows) >= MIN_SEGMENT_ROWS:
                learned = _learn(inputs.metrics, fit.values, rows, inputs.chunk_rows)
                estimator.segment_parameters[str(name)] = learned
    return estimator
