"""Serving health of one window (or segment) from the prediction log's optional columns. Pure pandas/numpy.

- throughput: rows / hours of the window;
- latency p50/p95/p99: `numpy.percentile` (its default, linear interpolation) of the latency values,
  missing and non-finite values dropped (text that is not a number counts as missing);
- error rate: errors / rows whose error status is known. Without `error_values` the column must be
  an error flag (booleans, or the numbers 0 and 1); with them, a row is an error when its value is one
  of them (HTTP statuses [500, 503], or strings ["error"]; a number also matches its text). Missing
  values are neither errors nor successes: they are left out of the denominator;
- low-confidence share: share of the non-missing scores with low <= score <= high;
- score quantiles (0.05, 0.25, 0.5, 0.75, 0.95, numpy's default method): the score distribution
  over time, for charts.
A measure with no value to compute it on is None, never a made-up 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# The scalar measures, in the order they are shown; each may become an alert signal.
HEALTH_MEASURES: tuple[str, ...] = (
    "throughput_per_hour",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "error_rate",
    "low_confidence_share",
)
SCORE_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
LATENCY_PERCENTILES: tuple[float, ...] = (0.5, 0.95, 0.99)  # p50, p95, p99


@dataclass(frozen=True)
class ServingHealth:
    rows: int
    throughput_per_hour: float
    latency_p50: float | None
    latency_p95: float | None
    latency_p99: float | None
    error_rate: float | None
    low_confidence_share: float | None
    score_quantiles: dict[float, float] = field(default_factory=dict)
    latency_count: int = 0  # latency values the percentiles used
    error_count: int = 0  # rows that were errors
    error_known: int = 0  # rows whose error status is known (the error rate's denominator)
    score_count: int = 0  # scores the share and quantiles used

    def measures(self) -> dict[str, float | None]:
        """HEALTH_MEASURES by name."""
        return {name: _finite(getattr(self, name)) for name in HEALTH_MEASURES}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: NaN becomes None, quantile keys become text ("0.05")."""
        return {
            "rows": self.rows,
            **self.measures(),
            "score_quantiles": {str(q): _finite(v) for q, v in self.score_quantiles.items()},
            "latency_count": self.latency_count,
            "error_count": self.error_count,
            "error_known": self.error_known,
            "score_count": self.score_count,
        }


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _column(frame: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:30]))
        raise ValueError(f"the {role} column {name!r} is not in the data; columns: {shown}")
    return frame[name]


def numeric_values(series: pd.Series) -> np.ndarray:
    """The finite numbers of a column (missing, non-finite and unreadable values dropped)."""
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    kept: np.ndarray = values[np.isfinite(values)]
    return kept


def _is_flag(known: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(known.dtype):
        return True
    return all(isinstance(v, bool | np.bool_) or (_is_number(v) and v in (0, 1)) for v in known.unique())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _matches_any(known: pd.Series, error_values: Sequence[object]) -> np.ndarray:
    """Which known values are error values: equal, or equal as text (500 matches "500")."""
    hit = known.isin(list(error_values)).to_numpy(dtype=bool)
    texts = {str(v) for v in error_values}
    if pd.api.types.is_numeric_dtype(known.dtype):
        numbers = pd.to_numeric(pd.Series(list(texts), dtype=object), errors="coerce").dropna()
        hit = hit | known.isin(list(numbers)).to_numpy(dtype=bool)
    else:
        hit = hit | known.astype(str).isin(texts).to_numpy(dtype=bool)
    result: np.ndarray = hit
    return result


def error_flags(series: pd.Series, error_values: Sequence[object] | None) -> np.ndarray:
    """Per row: 1.0 an error, 0.0 not an error, NaN unknown (a missing value)."""
    known_mask = series.notna().to_numpy(dtype=bool)
    known = series[known_mask]
    flags = np.full(len(series), np.nan)
    if error_values is not None:
        flags[known_mask] = _matches_any(known, error_values)
        return flags
    if not _is_flag(known):
        examples = ", ".join(repr(v) for v in known.unique()[:5])
        raise ValueError(
            f"the error column {series.name!r} is not an error flag (booleans or 0/1): it has {examples}; "
            'give error_values (for example HTTP statuses [500, 503] or ["error"]) to say which '
            "values are errors"
        )
    flags[known_mask] = known.astype(bool).to_numpy(dtype=bool)
    return flags


def _percentiles(values: np.ndarray) -> tuple[float | None, float | None, float | None]:
    if len(values) == 0:
        return None, None, None
    p50, p95, p99 = np.quantile(values, LATENCY_PERCENTILES)
    return float(p50), float(p95), float(p99)


def _low_confidence(scores: np.ndarray, band: tuple[float, float] | None) -> float | None:
    if band is None or len(scores) == 0:
        return None
    low, high = band
    return float(np.mean((scores >= low) & (scores <= high)))


def serving_health(
    frame: pd.DataFrame,
    *,
    latency_column: str | None = None,
    error_column: str | None = None,
    error_values: Sequence[object] | None = None,
    score_column: str | None = None,
    low_confidence: tuple[float, float] | None = None,
    hours: float,
) -> ServingHealth:
    """The serving health of `frame`'s rows, a window `hours` long. A named column that the frame
    lacks, a non-positive `hours`, a band with low > high, or an error column that is neither a flag
    nor given `error_values` is a ValueError."""
    if not hours > 0:
        raise ValueError(f"hours must be positive, got {hours}")
    if low_confidence is not None and low_confidence[0] > low_confidence[1]:
        raise ValueError(f"the low-confidence band {low_confidence} has low > high")
    latencies = np.empty(0)
    if latency_column is not None:
        latencies = numeric_values(_column(frame, latency_column, "latency"))
    flags = np.empty(0)
    if error_column is not None:
        flags = error_flags(_column(frame, error_column, "error"), error_values)
        flags = flags[~np.isnan(flags)]
    scores = np.empty(0)
    if score_column is not None:
        scores = numeric_values(_column(frame, score_column, "score"))
    p50, p95, p99 = _percentiles(latencies)
    quantiles: list[float] = list(np.quantile(scores, SCORE_QUANTILES)) if len(scores) else []
    return ServingHealth(
        rows=len(frame),
        throughput_per_hour=len(frame) / hours,
        latency_p50=p50,
        latency_p95=p95,
        latency_p99=p99,
        error_rate=float(flags.mean()) if len(flags) else None,
        low_confidence_share=_low_confidence(scores, low_confidence),
        score_quantiles={q: float(v) for q, v in zip(SCORE_QUANTILES, quantiles, strict=False)},
        latency_count=len(latencies),
        error_count=int(flags.sum()),
        error_known=len(flags),
        score_count=len(scores),
    )
