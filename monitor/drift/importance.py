"""Importance-weighted drift: a drifted feature the model leans on matters more than one it ignores.

Importances come from the config (`drift.importance.weights: {column: weight}`), or are estimated on
the labelled reference against its target column (`drift.importance.estimate`):
- `mutual_information`: the mutual information between each feature and the target (scikit-learn's
  mutual_info_classif for a categorical target or one with at most 10 values, mutual_info_regression
  otherwise; categories as discrete codes; seeded). Model-free, one feature at a time (Kraskov et al.
  2004's estimator for numbers).
- `permutation`: a surrogate model (gradient-boosted trees) is fitted on three quarters of the
  reference, and each feature's importance is the drop of its score (accuracy, or R^2) on the last
  quarter when that feature's values are shuffled (scikit-learn's permutation_importance, 5 repeats,
  seeded; Breiman 2001). Negative drops count as 0.
Either way the importances of the judged columns are normalised to sum to 1 (a column without one
weighs 0); when they are all 0, every judged column weighs the same.

From them, per window:
- weighted drift share: the sum of the drifted judged columns' importances (0 to 1; with equal
  importances, the plain drift share);
- features ranked by importance x drift, drift being how far the column moved on its test's own
  scale (the effect size: KS statistic, Cramer's V, or the distance itself), the drifted first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from monitor.drift.options import ImportanceOptions
from monitor.drift.types import ColumnKind, RankedFeature, Status, TestResult, WeightedDrift

FloatArray = npt.NDArray[np.float64]
MUTUAL_INFORMATION = "mutual_information"
PERMUTATION = "permutation"
ESTIMATES = (MUTUAL_INFORMATION, PERMUTATION)
MAX_TARGET_CLASSES = 10
MAX_CODES = 250  # HistGradientBoosting's categories must stay below its 255 bins


def _features(frame: pd.DataFrame, columns: Sequence[str], kinds: Mapping[str, ColumnKind]) -> FloatArray:
    """Numbers (missing: the column's mean) and category codes (missing: a code of its own)."""
    from monitor.drift.multivariate import row_labels, row_numbers

    x = np.empty((len(frame), len(columns)))
    for j, name in enumerate(columns):
        if kinds[name] is ColumnKind.CATEGORICAL:
            labels = pd.Series(row_labels(frame[name]), dtype=object).fillna("\0missing")
            x[:, j] = pd.factorize(labels, sort=True)[0]
        else:
            values = row_numbers(frame[name])
            present = values[~np.isnan(values)]
            x[:, j] = np.where(np.isnan(values), present.mean() if len(present) else 0.0, values)
    return x


def _target(series: pd.Series) -> tuple[npt.NDArray[Any], bool]:
    """The target as numbers, and whether it is a class (categorical, or few distinct values)."""
    if series.dtype == object or series.nunique() <= MAX_TARGET_CLASSES:
        return pd.factorize(series.astype(str), sort=True)[0], True
    return series.to_numpy(dtype=np.float64), False


def estimate_importances(
    reference: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, ColumnKind],
    options: ImportanceOptions,
) -> dict[str, float]:
    """Each column's importance for predicting `options.target` in the reference (rows with a target)."""
    if options.target is None or options.target not in reference.columns:
        raise ValueError(f"importance needs the reference's target column, {options.target!r}")
    labelled = reference[reference[options.target].notna()]
    x = _features(labelled, columns, kinds)
    y, is_class = _target(labelled[options.target])
    discrete = np.array([kinds[c] is ColumnKind.CATEGORICAL for c in columns])
    if options.estimate == MUTUAL_INFORMATION:
        from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

        estimate = mutual_info_classif if is_class else mutual_info_regression
        values = estimate(x, y, discrete_features=discrete, random_state=options.seed)
    else:
        values = _permutation(x, y, discrete, is_class, options.seed)
    return {c: max(0.0, float(v)) for c, v in zip(columns, values, strict=True)}


def _permutation(
    x: FloatArray, y: npt.NDArray[Any], discrete: npt.NDArray[np.bool_], is_class: bool, seed: int
) -> FloatArray:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    model_type = HistGradientBoostingClassifier if is_class else HistGradientBoostingRegressor
    few = discrete & (x.max(axis=0, initial=0) < MAX_CODES)  # more levels: taken as ordered codes
    categorical = few if few.any() else None
    stratify = y if is_class else None
    x_fit, x_test, y_fit, y_test = train_test_split(
        x, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    with threadpool_limits(1):  # OpenMP threads slow the trees down on a busy machine (classifier.py)
        model = model_type(categorical_features=categorical, random_state=seed).fit(x_fit, y_fit)
        result = permutation_importance(model, x_test, y_test, n_repeats=5, random_state=seed)
    values: FloatArray = result.importances_mean
    return values


def normalised(importances: Mapping[str, float], judged: Sequence[str]) -> dict[str, float]:
    raw = {c: max(0.0, float(importances.get(c, 0.0))) for c in judged}
    total = sum(raw.values())
    if total <= 0:
        return {c: 1 / len(judged) for c in judged} if judged else {}
    return {c: v / total for c, v in raw.items()}


def weighted_drift(
    results: Sequence[TestResult], importances: Mapping[str, float], source: str
) -> WeightedDrift:
    judged: dict[str, list[TestResult]] = {}
    for r in results:
        if r.status is Status.OK:
            judged.setdefault(r.column, []).append(r)
    weights = normalised(importances, list(judged))
    ranked = []
    for column, column_results in judged.items():
        drift = max((r.effect_size or 0.0) for r in column_results)
        drifted = any(r.drifted for r in column_results)
        weight = weights[column]
        ranked.append(RankedFeature(column, weight, drift, weight * drift, drifted))
    ranked.sort(key=lambda f: (not f.drifted, -f.score, f.column))
    share = float(sum(f.importance for f in ranked if f.drifted))
    return WeightedDrift(drift_share=share, source=source, ranked=tuple(ranked))
