"""Serving health of a window from mergeable per-piece counts (a Dask DataFrame's partitions).

What merges exactly: rows (so throughput), the error rate's errors and known statuses, the scores
counted and those inside the low-confidence band. Latency percentiles and score quantiles need every
value in one place: a window computed in pieces has none (config refuses `serving.latency_column`
with `compute.backend: dask`; score quantiles are left out, and the run's page says so).
Each count is what `serving.serving_health` counts on the whole window; the rates are the same ratios.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitor.metrics.serving import ServingHealth, _column, error_flags, numeric_values


@dataclass(frozen=True)
class HealthColumns:
    """Which columns a window's health is counted from (None: not counted)."""

    error_column: str | None = None
    error_values: Sequence[object] | None = None
    score_column: str | None = None
    low_confidence: tuple[float, float] | None = None


@dataclass(frozen=True)
class HealthFacts:
    rows: int = 0
    error_count: int = 0
    error_known: int = 0
    score_count: int = 0
    low_confidence: int = 0  # scores with low <= score <= high

    def merge(self, other: HealthFacts) -> HealthFacts:
        return HealthFacts(
            self.rows + other.rows,
            self.error_count + other.error_count,
            self.error_known + other.error_known,
            self.score_count + other.score_count,
            self.low_confidence + other.low_confidence,
        )


def health_facts(frame: pd.DataFrame, columns: HealthColumns) -> HealthFacts:
    """The counts of one piece; an error column that is not a flag (without `error_values`) is a
    ValueError, as for the whole window."""
    errors, known = 0, 0
    if columns.error_column is not None:
        flags = error_flags(_column(frame, columns.error_column, "error"), columns.error_values)
        flags = flags[~np.isnan(flags)]
        errors, known = int(flags.sum()), len(flags)
    scores = np.empty(0)
    if columns.score_column is not None:
        scores = numeric_values(_column(frame, columns.score_column, "score"))
    inside = 0
    if columns.low_confidence is not None:
        low, high = columns.low_confidence
        inside = int(np.sum((scores >= low) & (scores <= high)))
    return HealthFacts(len(frame), errors, known, len(scores), inside)


def health_of_facts(facts: HealthFacts, columns: HealthColumns, *, hours: float) -> ServingHealth:
    """The window's ServingHealth from its merged counts: no latency percentiles, no score quantiles."""
    if not hours > 0:
        raise ValueError(f"hours must be positive, got {hours}")
    band = columns.low_confidence
    if band is not None and band[0] > band[1]:
        raise ValueError(f"the low-confidence band {band} has low > high")
    return ServingHealth(
        rows=facts.rows,
        throughput_per_hour=facts.rows / hours,
        latency_p50=None,
        latency_p95=None,
        latency_p99=None,
        error_rate=facts.error_count / facts.error_known if facts.error_known else None,
        low_confidence_share=(
            facts.low_confidence / facts.score_count if band is not None and facts.score_count else None
        ),
        score_quantiles={},
        latency_count=0,
        error_count=facts.error_count,
        error_known=facts.error_known,
        score_count=facts.score_count,
    )
