"""Dataset-level drift beside the columns: what the reference keeps for it, and each window's verdicts.

- `DatasetReference`: built once from the reference rows (and stored in its profile): the rows the
  domain classifier compares with, the fitted PCA reconstruction model with its thresholds, and the
  feature importances (given, or estimated on the labelled reference).
- `dataset_results`: per window, the multivariate verdicts (classifier.py, multivariate.py) and the
  importance-weighted drift (importance.py).
scikit-learn is imported only when one of these is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from monitor.drift.options import DriftOptions
from monitor.drift.types import ColumnKind, DatasetTestResult, Status, TestResult, WeightedDrift

if TYPE_CHECKING:
    from monitor.drift.dataset_partial import DatasetPiece
    from monitor.drift.multivariate import ReconstructionModel, RowSample

CONFIG = "config"


@dataclass(frozen=True)
class DatasetReference:
    sample: RowSample | None = None
    reconstruction: ReconstructionModel | None = None
    importances: Mapping[str, float] = field(default_factory=dict)
    importance_source: str | None = None
    # Why a part asked for could not be built, by part ("classifier", "reconstruction", "importance").
    reasons: Mapping[str, str] = field(default_factory=dict)

    def header(self, arrays: dict[str, Any]) -> dict[str, Any]:
        """JSON-able description; the classifier's rows go to `arrays` (no pickle)."""
        head: dict[str, Any] = {
            "importances": dict(self.importances),
            "importance_source": self.importance_source,
            "reasons": dict(self.reasons),
            "reconstruction": self.reconstruction.to_dict() if self.reconstruction is not None else None,
            "sample": None,
        }
        if self.sample is not None:
            arrays["dataset_sample"] = self.sample.values
            head["sample"] = {
                "columns": list(self.sample.columns),
                "categorical": list(self.sample.categorical),
                "levels": {k: list(v) for k, v in self.sample.levels.items()},
            }
        return head

    @classmethod
    def from_header(cls, head: dict[str, Any] | None, arrays: Any) -> DatasetReference:
        if head is None:
            return cls()
        from monitor.drift.multivariate import ReconstructionModel, RowSample

        sample = None
        if head["sample"] is not None:
            s = head["sample"]
            levels = {k: tuple(v) for k, v in s["levels"].items()}
            values = np.asarray(arrays["dataset_sample"], dtype=np.float64)
            sample = RowSample(tuple(s["columns"]), tuple(s["categorical"]), values, levels)
        model = head["reconstruction"]
        return cls(
            sample=sample,
            reconstruction=ReconstructionModel.from_dict(model) if model is not None else None,
            importances=head["importances"],
            importance_source=head["importance_source"],
            reasons=head["reasons"],
        )


def build_dataset_reference(
    reference: pd.DataFrame, kinds: Mapping[str, ColumnKind], options: DriftOptions
) -> DatasetReference:
    """`kinds`: the judged columns (numerical or categorical) and their kinds, in order."""
    mv, importance = options.multivariate, options.importance
    columns = [c for c, k in kinds.items() if k in (ColumnKind.NUMERICAL, ColumnKind.CATEGORICAL)]
    features = [c for c in columns if c != importance.target]
    parts: dict[str, Any] = {"reasons": {}}
    if mv.enabled:
        from monitor.drift.multivariate import fit_reconstruction, row_sample

        if mv.classifier:
            parts["sample"] = row_sample(reference, features, kinds, mv)
        if mv.reconstruction:
            if len(reference) < mv.chunks or not features:
                parts["reasons"]["reconstruction"] = (
                    f"{len(reference)} reference rows and {len(features)} columns: at least "
                    f"{mv.chunks} rows (one per chunk) and 1 column are needed"
                )
            else:
                parts["reconstruction"] = fit_reconstruction(reference, features, kinds, mv)
    if importance.weights:
        parts["importances"], parts["importance_source"] = dict(importance.weights), CONFIG
    elif importance.estimate is not None:
        from monitor.drift.importance import estimate_importances

        try:
            parts["importances"] = estimate_importances(reference, features, kinds, importance)
            parts["importance_source"] = importance.estimate
        except ValueError as exc:
            parts["reasons"]["importance"] = str(exc)
    return DatasetReference(**parts)


def _unavailable(test: str, reason: str) -> DatasetTestResult:
    return DatasetTestResult(test, None, False, Status.INSUFFICIENT_DATA, details={"reason": reason})


def dataset_results(
    reference: DatasetReference,
    current: pd.DataFrame | DatasetPiece | None,
    results: Sequence[TestResult],
    options: DriftOptions,
) -> tuple[tuple[DatasetTestResult, ...], WeightedDrift | None]:
    """The window's multivariate verdicts, from its rows or its pieces' merged DatasetPiece (none
    without either: `current` None), and its weighted drift."""
    from monitor.drift.dataset_partial import DatasetPiece, classifier_of_piece, reconstruction_of_piece

    mv = options.multivariate
    tests: list[DatasetTestResult] = []
    missing = "the reference profile was built without it"
    if mv.classifier and current is not None:
        from monitor.drift.classifier import domain_classifier

        sample = reference.sample
        if sample is None:
            tests.append(_unavailable("domain_classifier", reference.reasons.get("classifier", missing)))
        elif isinstance(current, DatasetPiece):
            tests.append(classifier_of_piece(sample, current, mv))
        else:
            tests.append(domain_classifier(sample, current, mv))
    if mv.reconstruction and current is not None:
        from monitor.drift.multivariate import reconstruction_drift

        model = reference.reconstruction
        if model is None:
            tests.append(_unavailable("pca_reconstruction", reference.reasons.get("reconstruction", missing)))
        elif isinstance(current, DatasetPiece):
            tests.append(reconstruction_of_piece(model, current))
        else:
            tests.append(reconstruction_drift(model, current))
    weighted = None
    if options.importance.enabled and reference.importance_source is not None:
        from monitor.drift.importance import weighted_drift

        weighted = weighted_drift(results, reference.importances, reference.importance_source)
    return tuple(tests), weighted
