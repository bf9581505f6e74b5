"""Summaries of a set of numbers that merge across the pieces of a window: what the merged metrics
(monitor.metrics.partial) are computed from. Pure numpy.

- Moments: count, mean and sum of squared deviations from the mean, merged by the pairwise update
  of Chan, Golub & LeVeque (1979). Stable where a sum of squares minus a squared sum is not: a mean
  of 1e6 with a spread of 1 keeps all its digits. The merge is commutative bit for bit (the merged
  mean is the count-weighted mean of the two) and associative up to rounding.
- CentredSums: sums of w * (x - centre)^k for k = 0.. K about a centre, moved to another centre by
  the binomial expansion; two pieces are merged about their common mean. With w = 1 these are the
  central moments Pebay (2008) merges (count, 0, M2, M3, M4); with w = e^2 the co-moments the
  interval of R² needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Moments:
    n: int = 0
    mean: float = 0.0
    m2: float = 0.0  # sum of (x - mean)^2

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        if len(values) == 0:
            return cls()
        mean = float(np.mean(values))
        return cls(len(values), mean, float(np.sum((values - mean) ** 2)))

    def merge(self, other: Moments) -> Moments:
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = (self.n * self.mean + other.n * other.mean) / n
        return Moments(n, mean, self.m2 + other.m2 + delta * delta * (self.n * other.n / n))

    @property
    def sd(self) -> float:
        """Sample standard deviation (ddof = 1); NaN under two values."""
        return math.sqrt(max(self.m2, 0.0) / (self.n - 1)) if self.n > 1 else math.nan


def shifted(sums: np.ndarray, offset: float) -> np.ndarray:
    """Sums of w (x - c)^k, k = 0.. K, as sums of w (x - c + offset)^k: about the centre c - offset."""
    out = np.zeros_like(sums)
    for k in range(len(sums)):
        out[k] = sum(math.comb(k, j) * offset ** (k - j) * sums[j] for j in range(k + 1))
    return out


def power_sums(x: np.ndarray, centre: float, order: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Sums of w (x - centre)^k for k = 0.. order (w = 1 without weights)."""
    d = x - centre
    w = np.ones_like(d) if weights is None else weights
    return np.array([float(np.sum(w * d**k)) for k in range(order + 1)])


@dataclass(frozen=True)
class CentredSums:
    """Central power sums of x (count, 0, M2, M3, M4 about the mean) and the sums of w (x - mean)^k
    for k = 0, 1, 2 of a weight w per value, merged exactly up to rounding."""

    centre: float = 0.0
    plain: tuple[float, ...] = (0.0,) * 5
    weighted: tuple[float, ...] = (0.0,) * 3

    @classmethod
    def of(cls, x: np.ndarray, weights: np.ndarray) -> CentredSums:
        if len(x) == 0:
            return cls()
        centre = float(np.mean(x))
        plain, weighted = power_sums(x, centre, 4), power_sums(x, centre, 2, weights)
        return cls(centre, tuple(plain.tolist()), tuple(weighted.tolist()))

    @property
    def n(self) -> int:
        return round(self.plain[0])

    def merge(self, other: CentredSums) -> CentredSums:
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        a, b = self.plain[0], other.plain[0]
        centre = (a * self.centre + b * other.centre) / (a + b)
        plain = shifted(np.array(self.plain), self.centre - centre) + shifted(
            np.array(other.plain), other.centre - centre
        )
        weighted = shifted(np.array(self.weighted), self.centre - centre) + shifted(
            np.array(other.weighted), other.centre - centre
        )
        return CentredSums(centre, tuple(plain.tolist()), tuple(weighted.tolist()))
