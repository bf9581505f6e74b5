"""Dataset-level drift of a window given in pieces (a Dask cluster's partitions): what each piece keeps
for the PCA reconstruction error and the domain classifier, merged into the window's. Pure.

- Reconstruction error (multivariate.py): the mean over rows of each row's distance to its
  reconstruction, so a piece keeps the sum of its rows' distances and their count; merged, the
  window's error is the local engine's but for float rounding.
- Domain classifier (classifier.py): it trains on at most `max_rows` current rows, a seeded sample.
  A piece keeps its `max_rows` rows with the smallest keys, a key being a seeded hash of the row's
  values (pandas' hash_pandas_object); merged, the smallest keys of all: a uniform sample of the
  window of the size the local engine draws, the same whatever the partitioning, but not the rows a
  local run draws (its sample is a permutation of row positions), so the AUC agrees within its
  sampling error, not bit for bit. The result's details say `sampled_on: workers`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from monitor.drift.options import MultivariateOptions
from monitor.drift.types import DatasetTestResult

if TYPE_CHECKING:
    from monitor.drift.dataset import DatasetReference
    from monitor.drift.multivariate import ReconstructionModel, RowSample

KEY = "__sample_key"


@dataclass(frozen=True)
class DatasetPlan:
    """What each piece keeps: reconstruction sums (by the reference's model), a sample of rows."""

    reconstruction: ReconstructionModel | None
    sample_columns: tuple[str, ...] | None  # None: no classifier
    sample_rows: int
    seed: int


@dataclass(frozen=True, eq=False)
class DatasetPiece:
    rows: int
    distance_sum: float = 0.0  # of the rows' reconstruction distances
    absent: tuple[str, ...] = ()  # columns the reconstruction reads that a piece lacks
    sample: pd.DataFrame | None = None  # the rows with the smallest keys, KEY among its columns
    limit: int = 0

    def merge(self, other: DatasetPiece) -> DatasetPiece:
        sample = self.sample
        if sample is None or other.sample is None:
            sample = sample if other.sample is None else other.sample
        else:
            both = pd.concat([sample, other.sample], ignore_index=True)
            sample = both.nsmallest(self.limit, KEY, keep="first").reset_index(drop=True)
        absent = tuple(dict.fromkeys((*self.absent, *other.absent)))
        return DatasetPiece(
            self.rows + other.rows, self.distance_sum + other.distance_sum, absent, sample, self.limit
        )


def dataset_plan(reference: DatasetReference, options: MultivariateOptions) -> DatasetPlan:
    """What pieces keep for the window's dataset-level drift (a part the reference lacks: nothing;
    its verdict says why, as for a window's rows)."""
    model = reference.reconstruction if options.reconstruction else None
    sample = reference.sample if options.classifier else None
    return DatasetPlan(
        model, tuple(sample.columns) if sample is not None else None, options.max_rows, options.seed
    )


def summarise_dataset(frame: pd.DataFrame, plan: DatasetPlan) -> DatasetPiece:
    """One piece's reconstruction sums and sample."""
    model = plan.reconstruction
    total, absent = 0.0, tuple(c for c in (model.columns if model else ()) if c not in frame.columns)
    if model is not None and not absent and len(frame):
        prepared = model.prepared(frame)
        total = float(np.sum(model.distances(prepared)))
    sample = None
    if plan.sample_columns is not None:
        present = [c for c in plan.sample_columns if c in frame.columns]
        keys = pd.util.hash_pandas_object(frame[present], index=False, hash_key=f"{plan.seed:016d}"[-16:])
        kept = frame[present].assign(**{KEY: keys.to_numpy()})
        sample = kept.nsmallest(plan.sample_rows, KEY, keep="first").reset_index(drop=True)
    return DatasetPiece(len(frame), total, absent, sample, plan.sample_rows)


def classifier_of_piece(
    sample: RowSample, piece: DatasetPiece, options: MultivariateOptions
) -> DatasetTestResult:
    """The domain classifier on the merged piece's sample of the window."""
    from monitor.drift.classifier import domain_classifier

    rows = piece.sample.drop(columns=KEY) if piece.sample is not None else pd.DataFrame()
    found = domain_classifier(sample, rows, options)
    return replace(found, details={**found.details, "sampled_on": "workers", "current_rows": piece.rows})


def reconstruction_of_piece(model: ReconstructionModel, piece: DatasetPiece) -> DatasetTestResult:
    """The reconstruction error of the window from its merged sums."""
    from monitor.drift.multivariate import reconstruction_result

    error = piece.distance_sum / piece.rows if piece.rows and not piece.absent else None
    return reconstruction_result(model, piece.rows, list(piece.absent), error)
