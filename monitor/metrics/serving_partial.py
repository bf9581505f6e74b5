"""Serving health of a window from mergeable per-piece summaries (a Dask DataFrame's partitions).

What merges exactly: rows (so throughput), the error rate's errors and known statuses, the scores
counted and those inside the low-confidence band. Latency percentiles and score quantiles come from
Apache DataSketches KLL sketches of each piece's latencies and scores, merged (monitor.drift.sketch):
while a window has fewer values than a sketch keeps (about SKETCH_K) they are exactly
`serving.serving_health`'s; past that each is a value whose rank is within the sketch's rank error
(0.07% of n for k = 4,096) of the asked one, and the health's note says so (`quantile_note`).
Each count is what `serving.serving_health` counts on the whole window; the rates are the same ratios.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitor.drift.sketch import SKETCH_K, merge_sketches, rank_error, sketch_of, sketch_quantiles
from monitor.metrics.serving import (
    LATENCY_PERCENTILES,
    SCORE_QUANTILES,
    ServingHealth,
    _column,
    error_flags,
    numeric_values,
)


@dataclass(frozen=True)
class HealthColumns:
    """Which columns a window's health is counted from (None: not counted)."""

    error_column: str | None = None
    error_values: Sequence[object] | None = None
    score_column: str | None = None
    low_confidence: tuple[float, float] | None = None
    latency_column: str | None = None


@dataclass(frozen=True)
class HealthFacts:
    rows: int = 0
    error_count: int = 0
    error_known: int = 0
    score_count: int = 0
    low_confidence: int = 0  # scores with low <= score <= high
    latency_count: int = 0
    # KLL sketches (serialised) of the latencies and of the scores; None: none counted.
    latencies: bytes | None = None
    scores: bytes | None = None

    def merge(self, other: HealthFacts) -> HealthFacts:
        return HealthFacts(
            self.rows + other.rows,
            self.error_count + other.error_count,
            self.error_known + other.error_known,
            self.score_count + other.score_count,
            self.low_confidence + other.low_confidence,
            self.latency_count + other.latency_count,
            _merged(self.latencies, other.latencies),
            _merged(self.scores, other.scores),
        )


def _merged(first: bytes | None, second: bytes | None) -> bytes | None:
    if first is None or second is None:
        return first if second is None else second
    return merge_sketches(first, second)


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
    latencies = None
    if columns.latency_column is not None:
        latencies = numeric_values(_column(frame, columns.latency_column, "latency"))
    return HealthFacts(
        len(frame),
        errors,
        known,
        len(scores),
        inside,
        0 if latencies is None else len(latencies),
        None if latencies is None else sketch_of(latencies, SKETCH_K),
        sketch_of(scores, SKETCH_K) if columns.score_column is not None else None,
    )


def health_of_facts(facts: HealthFacts, columns: HealthColumns, *, hours: float) -> ServingHealth:
    """The window's ServingHealth from its merged summaries (quantile_note says how exact)."""
    if not hours > 0:
        raise ValueError(f"hours must be positive, got {hours}")
    band = columns.low_confidence
    if band is not None and band[0] > band[1]:
        raise ValueError(f"the low-confidence band {band} has low > high")
    latency = sketch_quantiles(facts.latencies, LATENCY_PERCENTILES)[0] if facts.latencies else []
    p50, p95, p99 = latency if latency else (None, None, None)
    scores = sketch_quantiles(facts.scores, SCORE_QUANTILES)[0] if facts.scores else []
    return ServingHealth(
        rows=facts.rows,
        throughput_per_hour=facts.rows / hours,
        latency_p50=p50,
        latency_p95=p95,
        latency_p99=p99,
        error_rate=facts.error_count / facts.error_known if facts.error_known else None,
        low_confidence_share=(
            facts.low_confidence / facts.score_count if band is not None and facts.score_count else None
        ),
        score_quantiles=dict(zip(SCORE_QUANTILES, scores, strict=False)),
        latency_count=facts.latency_count,
        error_count=facts.error_count,
        error_known=facts.error_known,
        score_count=facts.score_count,
    )


def quantile_note(facts: HealthFacts) -> str | None:
    """What the run says of its latency percentiles and score quantiles when they are not exact."""
    errors = [rank_error(s) for s in (facts.latencies, facts.scores) if s is not None]
    worst = max(errors, default=0.0)
    if worst == 0:
        return None
    return (
        "latency percentiles and score quantiles from merged KLL sketches: each at a rank within "
        f"{worst:.2%} of the rows of the exact one"
    )
