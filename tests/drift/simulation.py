"""Generated monitoring data: 100 features of assorted shapes, a reference, and a year of windows.

Numerical features cycle through ten shapes (normal, uniform, exponential, log-normal, Student t(3),
bimodal, Poisson counts, rounded normal with ties, zero-inflated gamma, skewed gamma); categorical
ones have 3 to 30 levels with Zipf-like shares, and from 6 levels on two rare ones (0.4% and 0.15%).
Windows are summarised straight from numpy (sorted values, category counts: exactly what
`summarise_current` gives for these values) and judged by the pure engine against a profile built
once, so a year of windows costs seconds.

Drift is planted on request: numerical columns shifted by a share of their standard deviation,
categorical columns with one level's share moved by some points (the others scaled to make room).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from monitor.drift import (
    CurrentSummary,
    DatasetDrift,
    DriftOptions,
    ReferenceProfile,
    build_profile,
    compare_summaries,
)
from monitor.drift.summary import NumericSummary, Summary, category_summary

SHAPES = (
    "normal",
    "uniform",
    "exponential",
    "lognormal",
    "t3",
    "bimodal",
    "poisson",
    "rounded",
    "zero_inflated",
    "gamma",
)
# Standard deviations of the shapes (for shifts "by a share of the std").
_STD = {
    "normal": 1.0,
    "uniform": 1 / np.sqrt(12),
    "exponential": 1.0,
    "lognormal": float(np.sqrt((np.exp(0.64) - 1) * np.exp(0.64))),
    "t3": float(np.sqrt(3.0)),
    "poisson": float(np.sqrt(20.0)),
    "rounded": 10.0,
    "gamma": float(np.sqrt(0.7) * 2),
}


def _bimodal_std() -> float:
    mean = 0.4 * -2 + 0.6 * 1.5
    second = 0.4 * (0.25 + 4) + 0.6 * (1 + 2.25)
    return float(np.sqrt(second - mean**2))


def _zero_inflated_std() -> float:
    mean = 0.7 * 6.0
    second = 0.7 * (2 * 9 + 36)
    return float(np.sqrt(second - mean**2))


_STD["bimodal"] = _bimodal_std()
_STD["zero_inflated"] = _zero_inflated_std()


def category_shares(levels: int) -> npt.NDArray[np.float64]:
    shares: npt.NDArray[np.float64] = 1.0 / np.arange(1, levels + 1, dtype=np.float64) ** 1.1
    shares /= shares.sum()
    if levels >= 6:  # two rare levels
        shares[:-2] *= (1 - 0.0055) / shares[:-2].sum()
        shares[-2:] = (0.004, 0.0015)
    return shares


@dataclass(frozen=True)
class Features:
    numerical: tuple[str, ...]  # shape of each numerical column n0, n1, ...
    categorical: tuple[npt.NDArray[np.float64], ...]  # shares of each categorical column c0, c1, ...
    # Planted drift: numerical column -> shift in stds; categorical column -> (level, points moved).
    shifts: Mapping[str, float] = field(default_factory=dict)
    moves: Mapping[str, tuple[int, float]] = field(default_factory=dict)

    def drifted(self, shifts: Mapping[str, float], moves: Mapping[str, tuple[int, float]]) -> Features:
        return Features(self.numerical, self.categorical, shifts, moves)

    @property
    def names(self) -> list[str]:
        return [f"n{i}" for i in range(len(self.numerical))] + [f"c{i}" for i in range(len(self.categorical))]


def hundred_features() -> Features:
    numerical = tuple(SHAPES[i % len(SHAPES)] for i in range(50))
    categorical = tuple(category_shares(3 + (i * 27) // 49) for i in range(50))
    return Features(numerical, categorical)


def _numbers(rng: np.random.Generator, shape: str, n: int) -> npt.NDArray[np.float64]:
    draws = {
        "normal": lambda: rng.normal(0, 1, n),
        "uniform": lambda: rng.uniform(0, 1, n),
        "exponential": lambda: rng.exponential(1, n),
        "lognormal": lambda: rng.lognormal(0, 0.8, n),
        "t3": lambda: rng.standard_t(3, n),
        "bimodal": lambda: np.where(rng.random(n) < 0.4, rng.normal(-2, 0.5, n), rng.normal(1.5, 1, n)),
        "poisson": lambda: rng.poisson(20, n).astype(np.float64),
        "rounded": lambda: np.round(rng.normal(50, 10, n)),
        "zero_inflated": lambda: np.where(rng.random(n) < 0.3, 0.0, rng.gamma(2, 3, n)),
        "gamma": lambda: rng.gamma(0.7, 2, n),
    }
    values: npt.NDArray[np.float64] = draws[shape]()
    return values


def moved_shares(shares: npt.NDArray[np.float64], level: int, points: float) -> npt.NDArray[np.float64]:
    """One level's share moved by `points` (0.1 = 10 points), the others scaled to make room."""
    moved = shares * (1 - shares[level] - points) / (1 - shares[level])
    moved[level] = shares[level] + points
    return moved


def _counts(rng: np.random.Generator, shares: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.int64]:
    counts: npt.NDArray[np.int64] = rng.multinomial(n, shares)
    return counts


def _labels(levels: int) -> list[str]:
    return [f"L{i:02d}" for i in range(levels)]


def draw_frame(features: Features, rng: np.random.Generator, n: int) -> pd.DataFrame:
    """A DataFrame of n rows (for the reference), without planted drift."""
    columns: dict[str, object] = {}
    for i, shape in enumerate(features.numerical):
        columns[f"n{i}"] = _numbers(rng, shape, n)
    for i, shares in enumerate(features.categorical):
        codes = np.repeat(np.arange(len(shares)), _counts(rng, shares, n))
        rng.shuffle(codes)
        columns[f"c{i}"] = pd.Categorical.from_codes(codes, categories=_labels(len(shares)))
    return pd.DataFrame(columns)


def draw_window(features: Features, rng: np.random.Generator, n: int) -> CurrentSummary:
    """A window of n rows, with the features' planted drift, summarised as the engine would."""
    columns: dict[str, Summary] = {}
    for i, shape in enumerate(features.numerical):
        name = f"n{i}"
        values = _numbers(rng, shape, n) + features.shifts.get(name, 0.0) * _STD[shape]
        values.sort()
        columns[name] = NumericSummary(values, n, 0)
    for i, shares in enumerate(features.categorical):
        name = f"c{i}"
        if name in features.moves:
            shares = moved_shares(shares, *features.moves[name])
        counts = _counts(rng, shares, n)
        columns[name] = category_summary(dict(zip(_labels(len(shares)), counts.tolist(), strict=True)), n, 0)
    return CurrentSummary(n, columns)


@dataclass(frozen=True)
class Year:
    """Which columns each window flagged, over a year of windows; and which a plain two-sample
    p-value at its threshold would have flagged (no correction, no calibration)."""

    flagged: list[tuple[str, ...]]
    plain: list[tuple[str, ...]]
    tests: dict[str, int]  # results by test and p-value method, e.g. "chi2_levels (asymptotic)": 17000

    @property
    def windows(self) -> int:
        return len(self.flagged)

    def share_of_windows_flagging_any(self) -> float:
        return sum(1 for f in self.flagged if f) / self.windows

    def share_of_windows_flagging_any_plainly(self) -> float:
        return sum(1 for f in self.plain if f) / self.windows

    def share_of_windows_finding_all(self, columns: set[str]) -> float:
        return sum(1 for f in self.flagged if columns <= set(f)) / self.windows

    def column_rates(self) -> dict[str, float]:
        counts: dict[str, int] = {}
        for f in self.flagged:
            for name in f:
                counts[name] = counts.get(name, 0) + 1
        return {name: n / self.windows for name, n in counts.items()}


def reference_profile(
    features: Features, seed: int, rows: int, options: DriftOptions | None = None
) -> ReferenceProfile:
    return build_profile(draw_frame(features, np.random.default_rng(seed), rows), options or DriftOptions())


def simulate_year(
    features: Features,
    profile: ReferenceProfile,
    *,
    seed: int,
    rows: int,
    windows: int = 365,
    options: DriftOptions | None = None,
) -> Year:
    options = options if options is not None else DriftOptions(parallel=False)
    rng = np.random.default_rng(seed)
    flagged: list[tuple[str, ...]] = []
    plain: list[tuple[str, ...]] = []
    tests: dict[str, int] = {}
    for _ in range(windows):
        drift: DatasetDrift = compare_summaries(profile, draw_window(features, rng, rows), options)
        flagged.append(drift.drifted_columns)
        plain.append(
            tuple(r.column for r in drift.results if r.p_value is not None and r.p_value < r.threshold)
        )
        for r in drift.results:
            name = f"{r.test} ({r.details['p_value_method']})" if "p_value_method" in r.details else r.test
            tests[name] = tests.get(name, 0) + 1
    return Year(flagged, plain, tests)
