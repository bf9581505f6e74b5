"""Domain classifier: can a model tell the window's rows from the reference's? (dataset-level drift)

If nothing changed, no model can tell a current row from a reference row better than chance, however
the features go together: its ROC AUC is 0.5. Any change the model can pick up, in one feature or in
how features combine (a correlation that flipped while every distribution stayed the same), raises it.
The idea is the "classifier two-sample test" (Lopez-Paz & Oquab 2017, "Revisiting classifier two-
sample tests"; also Evidently's and NannyML's domain classifiers).

How. Equal numbers of rows of each side (up to `max_rows`, a seeded sample of each) are labelled
0 (reference) and 1 (current). Gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier:
100 trees, categories as categories, missing values as missing) are fitted in `folds` (5) stratified
folds; each held-out fold is scored by the model fitted on the others, and the AUC is the mean of
the folds' ROC AUCs (scikit-learn's roc_auc_score), not the AUC of all out-of-fold scores pooled
(scores of different models are not on one scale). A held-out fold's scores owe nothing to its
labels, so with no drift each fold's AUC is centred on 0.5 (simulated: 0.500 on average).
Its 95% interval is Nadeau and Bengio's corrected resampled t interval (Nadeau & Bengio 2003,
"Inference for the generalization error", Machine Learning 52): AUC -+ t(folds - 1, 0.975) x
sqrt((1 / folds + 1 / (folds - 1)) s^2), s^2 the variance of the folds' AUCs. The correction is
needed: the folds' models share most of their training rows, so their AUCs vary together, and a
plain interval (or DeLong's within each fold) is too narrow; simulated on unchanged data this one
holds 0.5 in 95% of cases. Drifted when the AUC reaches `auc_threshold` (0.55) and its interval
lies above 0.5: the model tells the sides apart, and not by luck. The trees run on one thread
(threadpoolctl): on a shared machine OpenMP's threads slow them down several times.

Which features separate them: for each fold, the drop in the held-out AUC when one feature's values
are shuffled once (scikit-learn's permutation_importance, scoring "roc_auc", seeded), averaged over
the folds; the features are listed by that drop, largest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from monitor.drift.multivariate import RowSample
from monitor.drift.options import MultivariateOptions
from monitor.drift.types import DatasetTestResult, Status

FloatArray = npt.NDArray[np.float64]
MIN_ROWS = 20  # per side, and never fewer than 2 per fold


@dataclass(frozen=True)
class _Data:
    x: FloatArray
    y: npt.NDArray[np.int_]
    categorical: list[bool]


def _data(reference: RowSample, current: pd.DataFrame, options: MultivariateOptions) -> _Data:
    rng = np.random.default_rng(options.seed)
    rows = min(len(reference.values), len(current), options.max_rows)
    ref = reference.values[np.sort(rng.permutation(len(reference.values))[:rows])]
    cur = reference.encode(current.iloc[np.sort(rng.permutation(len(current))[:rows])])
    y = np.concatenate([np.zeros(rows, dtype=np.int_), np.ones(rows, dtype=np.int_)])
    return _Data(np.vstack([ref, cur]), y, list(reference.categorical))


def _model(data: _Data, seed: int) -> HistGradientBoostingClassifier:
    categorical = np.array(data.categorical) if any(data.categorical) else None
    return HistGradientBoostingClassifier(
        categorical_features=categorical, early_stopping=False, random_state=seed
    )


def _folds(data: _Data, options: MultivariateOptions) -> tuple[list[float], FloatArray]:
    """Each fold's AUC, and each feature's mean permutation importance."""
    fold_aucs, importances = [], []
    splits = StratifiedKFold(options.folds, shuffle=True, random_state=options.seed).split(data.x, data.y)
    with threadpool_limits(1):
        for train, test in splits:
            model = _model(data, options.seed).fit(data.x[train], data.y[train])
            scores = model.predict_proba(data.x[test])[:, 1]
            fold_aucs.append(float(roc_auc_score(data.y[test], scores)))
            drop = permutation_importance(
                model, data.x[test], data.y[test], scoring="roc_auc", n_repeats=1, random_state=options.seed
            )
            importances.append(drop.importances_mean)
    return fold_aucs, np.mean(importances, axis=0)


def corrected_interval(fold_aucs: list[float]) -> tuple[float, float]:
    """Nadeau and Bengio's corrected resampled t interval (95%) of the mean of k folds' AUCs."""
    k = len(fold_aucs)
    spread = (1 / k + 1 / (k - 1)) * float(np.var(fold_aucs, ddof=1))
    half = float(stats.t.ppf(0.975, k - 1)) * np.sqrt(spread)
    mean = float(np.mean(fold_aucs))
    return max(0.0, mean - half), min(1.0, mean + half)


def domain_classifier(
    reference: RowSample, current: pd.DataFrame, options: MultivariateOptions
) -> DatasetTestResult:
    rows = min(len(reference.values), len(current), options.max_rows)
    details: dict[str, Any] = {"rows_per_side": rows, "folds": options.folds, "seed": options.seed}
    if rows < max(MIN_ROWS, 2 * options.folds):
        details["reason"] = f"{rows} rows a side, fewer than the {max(MIN_ROWS, 2 * options.folds)} it needs"
        return DatasetTestResult("domain_classifier", None, False, Status.INSUFFICIENT_DATA, details=details)
    absent = [c for c in reference.columns if c not in current.columns]
    if absent:
        details["reason"] = f"columns not in the current data: {', '.join(absent)}"
        return DatasetTestResult("domain_classifier", None, False, Status.MISSING_IN_CURRENT, details=details)
    fold_aucs, importance = _folds(_data(reference, current, options), options)
    auc = float(np.mean(fold_aucs))
    low, high = corrected_interval(fold_aucs)
    ranked = sorted(zip(reference.columns, importance, strict=True), key=lambda c: -c[1])
    details.update(
        auc_low=low,
        auc_high=high,
        fold_aucs=fold_aucs,
        features=[{"column": c, "auc_drop": float(v)} for c, v in ranked],
    )
    drifted = bool(auc >= options.auc_threshold and low > 0.5)
    return DatasetTestResult(
        "domain_classifier", auc, drifted, Status.OK, 0.5, options.auc_threshold, details
    )
