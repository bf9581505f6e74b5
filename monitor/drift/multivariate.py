"""Dataset-level drift: PCA reconstruction error (as NannyML defines it), and the reference rows the
domain classifier (classifier.py) compares with.

Column by column, a change in how features go together is invisible: two features that were
positively correlated and now are negatively correlated keep their distributions. These look at rows.

PCA reconstruction error (NannyML, "Data Reconstruction with PCA"; DataReconstructionDriftCalculator):
1. prepare: missing values imputed (numerical: the reference's mean; categorical: its most frequent
   level), categories frequency-encoded (a level becomes its share of the reference, an unseen level
   0), every column standardised with the reference's mean and standard deviation (population std;
   a constant column is scaled by 1, as scikit-learn's StandardScaler);
2. compress: PCA fitted on the prepared reference keeps the fewest components that explain at least
   `variance` (65%) of its variance (scikit-learn's PCA(n_components=0.65, svd_solver="full"));
3. decompress, and measure: each standardised row is projected on the components and back; the
   reconstruction error of a set of rows is the mean Euclidean distance between the standardised rows
   and their reconstructions.
A window drifted when its error falls outside mean -+ `std_multiplier` (3) x std of the errors of the
reference cut into `chunks` (10) consecutive pieces (population std, NannyML's thresholds). Like any
chunk-learned threshold it fits windows of about reference rows / chunks.

The rows kept for the classifier (RowSample) are a seeded sample of up to `max_rows` reference rows:
numbers as they are (missing: NaN), categories as codes of the reference's levels by frequency (the
first 250; the rest, and levels unseen in the reference, share one code; missing: NaN).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from monitor.drift.cleaning import category_labels, missing_mask
from monitor.drift.learned import chunk_bounds
from monitor.drift.options import MultivariateOptions
from monitor.drift.types import ColumnKind, DatasetTestResult, Status

FloatArray = npt.NDArray[np.float64]
MAX_CODES = 250  # HistGradientBoosting's categories must stay below its 255 bins


def row_labels(series: pd.Series) -> npt.NDArray[Any]:
    """Each row's category label as the drift tests label it; None where missing."""
    missing = missing_mask(series).to_numpy()
    labels = np.full(len(series), None, dtype=object)
    if (~missing).any():
        labels[~missing] = category_labels(series[~missing])
    return labels


def row_numbers(series: pd.Series) -> FloatArray:
    """Each row's number; NaN where missing or not a number."""
    if series.dtype == bool:
        series = series.astype(np.int8)
    numbers = np.array(pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan))
    numbers[~np.isfinite(numbers)] = np.nan
    return numbers


def _frequencies(labels: npt.NDArray[Any]) -> dict[str, float]:
    present = pd.Series(labels[pd.notna(labels)], dtype=object)
    shares = present.value_counts(normalize=True, sort=True)
    return {str(k): float(v) for k, v in shares.items()}


@dataclass(frozen=True)
class RowSample:
    """Reference rows for the domain classifier, encoded (see the module docstring)."""

    columns: tuple[str, ...]
    categorical: tuple[bool, ...]
    values: FloatArray  # rows x columns
    levels: Mapping[str, tuple[str, ...]]  # categorical column -> its levels by code

    def encode(self, frame: pd.DataFrame) -> FloatArray:
        out = np.empty((len(frame), len(self.columns)))
        for j, (name, categorical) in enumerate(zip(self.columns, self.categorical, strict=True)):
            if not categorical:
                out[:, j] = row_numbers(frame[name])
                continue
            codes = {label: float(i) for i, label in enumerate(self.levels[name])}
            other = float(len(codes))
            out[:, j] = [np.nan if v is None else codes.get(v, other) for v in row_labels(frame[name])]
        return out


def row_sample(
    reference: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, ColumnKind],
    options: MultivariateOptions,
) -> RowSample:
    rng = np.random.default_rng(options.seed)
    rows = np.sort(rng.permutation(len(reference))[: options.max_rows])
    sample = reference.iloc[rows]
    levels: dict[str, tuple[str, ...]] = {}
    for name in columns:
        if kinds[name] is ColumnKind.CATEGORICAL:
            levels[name] = tuple(_frequencies(row_labels(reference[name])))[:MAX_CODES]
    categorical = tuple(kinds[name] is ColumnKind.CATEGORICAL for name in columns)
    partial = RowSample(tuple(columns), categorical, np.zeros((0, len(columns))), levels)
    return RowSample(partial.columns, categorical, partial.encode(sample), levels)


@dataclass(frozen=True)
class ReconstructionModel:
    columns: tuple[str, ...]
    categorical: tuple[bool, ...]
    frequencies: Mapping[str, Mapping[str, float]]  # categorical column -> level -> reference share
    fill: FloatArray  # per column, the imputed value (encoded)
    scale_mean: FloatArray
    scale: FloatArray
    components: FloatArray  # kept components x columns
    pca_mean: FloatArray
    variance_kept: float
    chunk_errors: tuple[float, ...]
    mean: float
    std: float
    std_multiplier: float

    @property
    def lower(self) -> float:
        return self.mean - self.std_multiplier * self.std

    @property
    def upper(self) -> float:
        return self.mean + self.std_multiplier * self.std

    def prepared(self, frame: pd.DataFrame) -> FloatArray:
        """Imputed, frequency-encoded, standardised rows."""
        out = np.empty((len(frame), len(self.columns)))
        for j, (name, categorical) in enumerate(zip(self.columns, self.categorical, strict=True)):
            if categorical:
                shares = self.frequencies[name]
                out[:, j] = [np.nan if v is None else shares.get(v, 0.0) for v in row_labels(frame[name])]
            else:
                out[:, j] = row_numbers(frame[name])
        out = np.where(np.isnan(out), self.fill, out)
        return (out - self.scale_mean) / self.scale

    def distances(self, prepared: FloatArray) -> FloatArray:
        """Each row's Euclidean distance to its reconstruction from the kept components."""
        centred = prepared - self.pca_mean
        reconstructed = centred @ self.components.T @ self.components + self.pca_mean
        found: FloatArray = np.linalg.norm(prepared - reconstructed, axis=1)
        return found

    def error(self, prepared: FloatArray) -> float:
        """Mean Euclidean distance between rows and their reconstruction from the kept components."""
        return float(np.mean(self.distances(prepared)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "categorical": list(self.categorical),
            "frequencies": {k: dict(v) for k, v in self.frequencies.items()},
            "fill": self.fill.tolist(),
            "scale_mean": self.scale_mean.tolist(),
            "scale": self.scale.tolist(),
            "components": self.components.tolist(),
            "pca_mean": self.pca_mean.tolist(),
            "variance_kept": self.variance_kept,
            "chunk_errors": list(self.chunk_errors),
            "mean": self.mean,
            "std": self.std,
            "std_multiplier": self.std_multiplier,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReconstructionModel:
        arrays = {
            k: np.asarray(data[k], dtype=np.float64) for k in ("fill", "scale_mean", "scale", "pca_mean")
        }
        components = np.asarray(data["components"], dtype=np.float64).reshape(-1, len(data["columns"]))
        return cls(
            columns=tuple(data["columns"]),
            categorical=tuple(data["categorical"]),
            frequencies=data["frequencies"],
            components=components,
            variance_kept=data["variance_kept"],
            chunk_errors=tuple(data["chunk_errors"]),
            mean=data["mean"],
            std=data["std"],
            std_multiplier=data["std_multiplier"],
            **arrays,
        )


def _encoded(
    reference: pd.DataFrame, columns: Sequence[str], kinds: Mapping[str, ColumnKind]
) -> tuple[FloatArray, dict[str, dict[str, float]], FloatArray]:
    """The reference frequency-encoded (missing left NaN), each categorical column's shares, and the
    value each column's missing values are imputed with."""
    encoded = np.empty((len(reference), len(columns)))
    frequencies: dict[str, dict[str, float]] = {}
    fill = np.zeros(len(columns))
    for j, name in enumerate(columns):
        if kinds[name] is ColumnKind.CATEGORICAL:
            labels = row_labels(reference[name])
            shares = frequencies[name] = _frequencies(labels)
            encoded[:, j] = [np.nan if v is None else shares[v] for v in labels]
            fill[j] = next(iter(shares.values()), 0.0)  # the most frequent level's share
        else:
            encoded[:, j] = row_numbers(reference[name])
            present = encoded[:, j][~np.isnan(encoded[:, j])]
            fill[j] = float(present.mean()) if len(present) else 0.0
    return encoded, frequencies, fill


def fit_reconstruction(
    reference: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, ColumnKind],
    options: MultivariateOptions,
) -> ReconstructionModel:
    encoded, frequencies, fill = _encoded(reference, columns, kinds)
    encoded = np.where(np.isnan(encoded), fill, encoded)
    scaler = StandardScaler().fit(encoded)
    prepared = scaler.transform(encoded)
    pca = PCA(n_components=options.variance, svd_solver="full").fit(prepared)
    model = ReconstructionModel(
        columns=tuple(columns),
        categorical=tuple(kinds[name] is ColumnKind.CATEGORICAL for name in columns),
        frequencies=frequencies,
        fill=fill,
        scale_mean=np.asarray(scaler.mean_, dtype=np.float64),
        scale=np.asarray(scaler.scale_, dtype=np.float64),
        components=np.asarray(pca.components_, dtype=np.float64),
        pca_mean=np.asarray(pca.mean_, dtype=np.float64),
        variance_kept=float(np.sum(pca.explained_variance_ratio_)),
        chunk_errors=(),
        mean=0.0,
        std=0.0,
        std_multiplier=options.std_multiplier,
    )
    errors = tuple(model.error(prepared[a:b]) for a, b in chunk_bounds(len(prepared), options.chunks))
    return replace(model, chunk_errors=errors, mean=float(np.mean(errors)), std=float(np.std(errors)))


def reconstruction_drift(model: ReconstructionModel, current: pd.DataFrame) -> DatasetTestResult:
    absent = [c for c in model.columns if c not in current.columns]
    error = model.error(model.prepared(current)) if len(current) and not absent else None
    return reconstruction_result(model, len(current), absent, error)


def reconstruction_result(
    model: ReconstructionModel, rows: int, absent: list[str], error: float | None
) -> DatasetTestResult:
    """The verdict on a window of `rows` rows whose mean reconstruction error is `error` (computed
    from its rows, or from the sums of its pieces: dataset_partial.py)."""
    details: dict[str, Any] = {
        "components": int(model.components.shape[0]),
        "variance_kept": model.variance_kept,
        "reference_mean": model.mean,
        "reference_std": model.std,
        "chunk_errors": list(model.chunk_errors),
        "columns": list(model.columns),
        "current_rows": rows,
    }
    if rows == 0:
        details["reason"] = "the current window has no rows"
        return DatasetTestResult("pca_reconstruction", None, False, Status.EMPTY_CURRENT, details=details)
    if absent:
        details["reason"] = f"columns not in the current data: {', '.join(absent)}"
        return DatasetTestResult(
            "pca_reconstruction", None, False, Status.MISSING_IN_CURRENT, details=details
        )
    assert error is not None
    drifted = bool(not model.lower <= error <= model.upper)
    return DatasetTestResult(
        "pca_reconstruction", error, drifted, Status.OK, model.lower, model.upper, details
    )
