"""Change detection on a metric's window series: CUSUM and Page-Hinkley. Pure numpy.

A window's value x_t (a realised or estimated metric over n_t rows) is standardised with what the
reference says of the metric on chunks of its rows: z_t = (x_t - mean) / (std * sqrt(chunk / n_t)),
so under no change z_t is about N(0, 1) whatever the window's size (monitor.metrics.estimator learns
mean and std by drawing chunks of the reference with replacement). Windows without a value leave the
detector as it was.

CUSUM (E. S. Page, "Continuous inspection schemes", Biometrika 41, 1954; the tabular form of
D. C. Montgomery, "Introduction to Statistical Quality Control", ch. 9): for a decrease,
C_t = max(0, C_{t-1} - z_t - k); an alarm when C_t > h. k (default 0.5) is half the shift, in
standard deviations, it is tuned to find fastest; h (default 5) sets the false-alarm rate. Without a
change the average run length (windows until a false alarm) is `cusum_average_run_length(k, h)`,
Siegmund's approximation: about 938 windows one-sided at k = 0.5, h = 5, half that watching both
directions (Montgomery's table gives 465 two-sided); a shift of one standard deviation is found
after about 10 windows. CUSUM compares the series with the reference's level.

Page-Hinkley (D. V. Hinkley, "Inference about the change-point from cumulative sum tests",
Biometrika 58, 1971; the running-mean form of scikit-multiflow and river): for a decrease,
m_t = sum over i <= t of (mean_i - z_i - delta), with mean_i the running mean of the series since the
detector (re)started, and an alarm when m_t - min m > lambda. It compares the series with its own
past, not with the reference: a level that differs from the reference's from the first window raises
nothing. Its false-alarm rate has no closed form; PAGE_HINKLEY_ARL is measured by simulation
(benchmarks/bench_change_arl.py).

An alarm holds until the statistic is back at 0 (the evidence of a change is used up): one change,
one alarm. It names the window where the change began: for CUSUM the first window of the run of
non-zero statistics that led to it (Montgomery's N), for Page-Hinkley the window after the minimum of
m (Hinkley's estimate). When a Page-Hinkley alarm ends, the detector starts again from there, so the
new level becomes its baseline. An alarm ends with its statistic at 0, where a fresh detector
starts, so on a series without change alarms begin once per average run length (measured: 1.06 per
1,000 windows for CUSUM at k = 0.5, h = 5, against Siegmund's 1 / 938).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Detector = Literal["cusum", "page_hinkley"]
Direction = Literal["down", "up", "both"]

DEFAULT_ALLOWANCE = 0.5  # k of CUSUM, delta of Page-Hinkley: in standard deviations
DEFAULT_THRESHOLD = 5.0  # h of CUSUM, lambda of Page-Hinkley
# Page-Hinkley's average run length without change at delta 0.5, lambda 5, one-sided: measured over
# 4,000 simulated series of 5,000 windows (benchmarks/bench_change_arl.py: 949 windows to the first
# alarm, 1.03 alarms per 1,000 windows).
PAGE_HINKLEY_ARL = 950.0


@dataclass(frozen=True)
class ChangeParameters:
    """The level and spread of a metric on `chunk_rows`-row chunks of the reference."""

    mean: float
    std: float
    chunk_rows: int

    def scale(self, rows: int | None) -> float:
        """The metric's standard deviation on a window of `rows` rows (as 1 / sqrt(rows))."""
        if rows is None or rows <= 0:
            return self.std
        return self.std * math.sqrt(self.chunk_rows / rows)


@dataclass(frozen=True)
class ChangeStep:
    """What a detector says after one window of the series."""

    statistic: float  # in standard deviations
    threshold: float
    alarm: bool  # a change is detected (and not yet used up)
    began: int | None  # index of the window where the detected change began
    direction: str | None  # down or up, while in alarm


@dataclass(frozen=True)
class Path:
    """A detector over series (shape (..., T)): each window's statistic, alarm and change start (-1
    when not in alarm)."""

    statistic: np.ndarray
    alarm: np.ndarray
    began: np.ndarray


def cusum_average_run_length(allowance: float, threshold: float, shift: float = 0.0) -> float:
    """Siegmund's approximation of a one-sided CUSUM's average run length when the mean has moved
    by `shift` standard deviations (0: the false-alarm run length)."""
    delta, b = shift - allowance, threshold + 1.166
    if delta == 0:
        return b * b
    return (math.exp(-2 * delta * b) + 2 * delta * b - 1) / (2 * delta * delta)


def _hold(alarm: np.ndarray, statistic: np.ndarray, threshold: float) -> np.ndarray:
    """An alarm starts above the threshold and holds while the statistic is above 0."""
    held: np.ndarray = np.where(alarm, statistic > 0, statistic > threshold)
    return held


def cusum_path(z: np.ndarray, *, allowance: float, threshold: float) -> Path:
    """One-sided CUSUM for an increase of z, over the last axis; NaN leaves the state as it was."""
    shape = z.shape[:-1]
    c, run_start = np.zeros(shape), np.zeros(shape, dtype=int)
    alarm, began = np.zeros(shape, dtype=bool), np.full(shape, -1)
    out = Path(np.zeros(z.shape), np.zeros(z.shape, dtype=bool), np.full(z.shape, -1))
    for t in range(z.shape[-1]):
        zt = z[..., t]
        valid = np.isfinite(zt)
        new = np.where(valid, np.maximum(0.0, c + np.where(valid, zt, 0.0) - allowance), c)
        run_start = np.where((c == 0) & (new > 0), t, run_start)
        held = _hold(alarm, new, threshold)
        began = np.where(held & ~alarm, run_start, np.where(held, began, -1))
        c, alarm = new, held
        out.statistic[..., t], out.alarm[..., t], out.began[..., t] = c, alarm, began
    return out


def page_hinkley_path(z: np.ndarray, *, allowance: float, threshold: float) -> Path:
    """One-sided Page-Hinkley for an increase of z over its running mean, over the last axis; NaN
    leaves the state as it was; the detector restarts when an alarm ends."""
    shape = z.shape[:-1]
    count, mean, m, low = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape)
    after_low = np.zeros(shape, dtype=int)  # the window after the minimum of m
    alarm, began = np.zeros(shape, dtype=bool), np.full(shape, -1)
    out = Path(np.zeros(z.shape), np.zeros(z.shape, dtype=bool), np.full(z.shape, -1))
    for t in range(z.shape[-1]):
        zt = z[..., t]
        valid = np.isfinite(zt)
        x = np.where(valid, zt, 0.0)
        new_count = count + 1
        new_mean = mean + (x - mean) / new_count
        new_m = m + x - new_mean - allowance
        lower = valid & (new_m <= low)  # the last minimum
        count, mean = np.where(valid, new_count, count), np.where(valid, new_mean, mean)
        m = np.where(valid, new_m, m)
        low, after_low = np.where(lower, m, low), np.where(lower, t + 1, after_low)
        statistic = m - low
        held = _hold(alarm, statistic, threshold)
        began = np.where(held & ~alarm, after_low, np.where(held, began, -1))
        out.statistic[..., t], out.alarm[..., t], out.began[..., t] = statistic, held, began
        ended = alarm & ~held  # the change is absorbed: start again from the new level
        count, mean, m, low = (np.where(ended, 0.0, a) for a in (count, mean, m, low))
        after_low = np.where(ended, t + 1, after_low)
        alarm = held
    return out


def standardise(
    values: Sequence[float | None], rows: Sequence[int | None] | None, parameters: ChangeParameters
) -> np.ndarray:
    """z_t of each window; NaN where there is no value."""
    x = np.array([math.nan if v is None else float(v) for v in values], dtype=float)
    sizes = rows if rows is not None else [None] * len(x)
    scale = np.array([parameters.scale(n) for n in sizes], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z: np.ndarray = (x - parameters.mean) / scale
    return np.where(np.isfinite(z), z, np.nan)


def detect_changes(
    values: Sequence[float | None],
    rows: Sequence[int | None] | None,
    parameters: ChangeParameters,
    *,
    detector: Detector = "cusum",
    direction: Direction = "down",
    allowance: float = DEFAULT_ALLOWANCE,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[ChangeStep]:
    """The detector's verdict after each window of a metric's series (oldest first)."""
    z = standardise(values, rows, parameters)
    run = cusum_path if detector == "cusum" else page_hinkley_path
    sides = {"down": ["down"], "up": ["up"], "both": ["down", "up"]}[direction]
    paths = {
        side: run((-z if side == "down" else z)[None, :], allowance=allowance, threshold=threshold)
        for side in sides
    }
    steps = []
    for t in range(len(z)):
        side = max(sides, key=lambda s: (bool(paths[s].alarm[0, t]), float(paths[s].statistic[0, t])))
        path = paths[side]
        alarm = bool(path.alarm[0, t])
        steps.append(
            ChangeStep(
                float(path.statistic[0, t]),
                threshold,
                alarm,
                int(path.began[0, t]) if alarm else None,
                side if alarm else None,
            )
        )
    return steps
