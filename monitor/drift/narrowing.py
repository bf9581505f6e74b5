"""KS's largest and smallest F_ref - F_cur, found by narrowing down rather than evaluating everywhere.

scipy's ks_2samp evaluates F_ref - F_cur (each a count of values <= x over its sample's size) at every
value of both samples, two binary searches for each of the n1 + n2 values; at a million values a side
that was most of a column's time. Most of those evaluations cannot matter. Over a run of consecutive
values of one sample, from x_lo to x_hi, both counts lie between their values at the ends (counts
only grow with x), so F_ref(x) - F_cur(x) <= R(x_hi) / n1 - C(x_lo) / n2 there: a run whose bound is
below a value already found cannot hold the maximum and is not looked at again. The runs that may
hold it are cut into FANOUT shorter runs, down to single values, and each level evaluates only the
ends of the runs still in doubt. The bound holds for the computed floats, not only for the exact
fractions: dividing a count by n and subtracting both round monotonically, so a larger count never
gives a smaller float. The extreme found is therefore the same float, at the same point, as
evaluating everywhere, and the differences are computed exactly as scipy computes them.

Where to look: the maximum of F_ref - F_cur over both samples' values is reached at a reference
value (at a current value c, the largest reference value <= c has the same F_ref and no larger
F_cur), and the minimum at a current value, for the same reason. scipy reports the first extreme in
the order reference values, then current values; so the minimum's location is a reference value if
one reaches the minimum too, which one more narrowing, started at the minimum, finds.

When many values stay in doubt (nearly identical samples: F_ref - F_cur hovers at its extreme
everywhere), narrowing would cost more than evaluating everywhere: then this gives None and the
caller evaluates everywhere (steps.py).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FANOUT = 16  # each run in doubt is cut into this many
MAX_RUN = 4096  # the longest runs, at the first level
# Narrowing gives up once it has evaluated more points than this share of the values searched (and
# at least SMALL_ENOUGH): evaluating everywhere is then cheaper.
MAX_WORK_SHARE = 0.1
SMALL_ENOUGH = 65_536


def _first_run_length(n: int) -> int:
    length = 1
    while length * FANOUT <= MAX_RUN and length * FANOUT < n:
        length *= FANOUT
    return length


class _Samples:
    """Both samples sorted, and F_ref - F_cur at given points as scipy computes it."""

    def __init__(self, reference: FloatArray, current: FloatArray) -> None:
        self.reference, self.current = reference, current
        self.n1, self.n2 = len(reference), len(current)

    def counts(self, on_reference: bool, indices: IntArray) -> tuple[FloatArray, IntArray, IntArray]:
        """The values at `indices` of one sample (the reference's if `on_reference`), and how many
        reference and current values are <= each. Only the other sample needs a binary search: in its
        own sample, the value at index i has i + 1 values <= it, unless the next value is equal."""
        own, other = (self.reference, self.current) if on_reference else (self.current, self.reference)
        points = own[indices]
        in_own = indices + 1
        tied = in_own < len(own)
        tied[tied] = own[in_own[tied]] == points[tied]
        if tied.any():
            in_own[tied] = np.searchsorted(own, points[tied], side="right")
        in_other = np.searchsorted(other, points, side="right")
        return (points, in_own, in_other) if on_reference else (points, in_other, in_own)

    def difference(self, ref_count: IntArray, cur_count: IntArray) -> FloatArray:
        gap: FloatArray = ref_count / self.n1 - cur_count / self.n2
        return gap


def _largest(samples: _Samples, on_reference: bool, sign: float, floor: float) -> tuple[float, float] | None:
    """(the largest of sign * (F_ref - F_cur) over the values of one sample (the reference's if
    `on_reference`), the smallest value reaching it), provided it is >= `floor` (else the first item
    is some value below `floor`); None when narrowing gives up. `sign` is 1.0 or -1.0: negating a
    float is exact, so -1.0 finds the minimum's float."""
    n = samples.n1 if on_reference else samples.n2
    length = _first_run_length(n)
    starts: IntArray = np.arange(0, n, length, dtype=np.int64)
    best, evaluated = floor, 0
    scores: list[FloatArray] = []
    points: list[FloatArray] = []
    while True:
        evaluated += 2 * len(starts)
        if evaluated > max(MAX_WORK_SHARE * n, SMALL_ENOUGH):
            return None
        ends = np.minimum(starts + (length - 1), n - 1)
        low, ref_low, cur_low = samples.counts(on_reference, starts)
        high, ref_high, cur_high = samples.counts(on_reference, ends)
        scores += [sign * samples.difference(ref_low, cur_low), sign * samples.difference(ref_high, cur_high)]
        points += [low, high]
        if len(starts):
            best = max(best, float(scores[-2].max()), float(scores[-1].max()))
        if length == 1:
            break
        # The most a value inside a run can score: its counts are bounded by those at the run's ends.
        bound = sign * (
            samples.difference(ref_high, cur_low) if sign > 0 else samples.difference(ref_low, cur_high)
        )
        # A run of one repeated value, or without values between its ends, is already evaluated.
        doubt = (bound >= best) & (low != high) & (ends - starts > 1)
        step = length // FANOUT
        cut = starts[doubt][:, None] + np.arange(0, length, step, dtype=np.int64)
        starts, length = cut[cut < n], step
    all_scores, all_points = np.concatenate(scores), np.concatenate(points)
    if len(all_scores) == 0:
        return None
    top = float(all_scores.max())
    return top, float(all_points[all_scores == top].min())


def narrowed_extremes(reference: FloatArray, current: FloatArray) -> tuple[float, float, int] | None:
    """(statistic, location, sign) of the two-sided KS statistic exactly as scipy's ks_2samp finds
    them, from both samples sorted (finite values); None when narrowing gives up or a side is empty."""
    if len(reference) == 0 or len(current) == 0:
        return None
    samples = _Samples(reference, current)
    highest = _largest(samples, True, 1.0, -np.inf)
    lowest = _largest(samples, False, -1.0, -np.inf)
    if highest is None or lowest is None:
        return None
    # A reference value at the minimum comes first in scipy's order: look for one, from the minimum.
    also_reference = _largest(samples, True, -1.0, lowest[0])
    if also_reference is None:
        return None
    max_s, max_at = highest
    min_diff, min_at = -lowest[0], lowest[1]
    if also_reference[0] == lowest[0]:
        min_at = also_reference[1]
    min_s = float(np.clip(-min_diff, 0, 1))
    if min_s > max_s:
        return min_s, min_at, -1
    return max_s, max_at, 1
