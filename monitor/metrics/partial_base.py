"""What every partial summary shares: the settings its metrics follow, a merged metric with how exact
it is, and the rule that joins two pieces' knowledge of whether a column exists."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.metrics.base import MetricValue
from monitor.metrics.score_histogram import ScoreGrid


@dataclass(frozen=True)
class MetricSettings:
    """What a window's metrics are computed with (a monitor's `task`, `metrics`, `positive_label`,
    `average`) and the grid binary scores are binned on (scores that are not probabilities need
    their own range, say the reference's)."""

    task: str
    metrics: tuple[str, ...]
    positive_label: object = 1
    average: str = "macro"
    score_grid: ScoreGrid = field(default_factory=ScoreGrid)


# Interval methods, as merged_metrics reports them.
AS_LOCAL = "as on one machine: the interval depends on the rows only through the merged counts"
WILSON = "Wilson score interval on merged counts (as on one machine)"
CONFUSION_BOOTSTRAP = "bootstrap of the merged confusion matrix, same seed (as on one machine)"
NORMAL_MEAN = "normal interval of the mean from merged moments (as on one machine)"
DELTA_R2 = "delta method from merged central moments (as on one machine)"
DELONG_BINNED = "DeLong's variance of the binned AUC (one machine: DeLong on exact scores)"
BOYD_BINNED = "Boyd logit interval around the binned average precision"
MEAN_OF_DELONG = (
    "conservative: +- z times the mean of the classes' DeLong standard deviations on binned scores, "
    "at least the standard deviation of their mean (one machine: row bootstrap)"
)
NO_ROW_BOOTSTRAP = "none: one machine bootstraps rows, which does not merge"


@dataclass(frozen=True)
class MergedMetric:
    """A metric computed from a merged partial summary."""

    value: MetricValue
    exact: bool  # value equal to the single-process engine's on the same rows
    bound: float | None = None  # when not exact: |value - the single-process value| <= bound
    interval: str = ""  # how ci_low and ci_high were computed ("" without an interval)

    @classmethod
    def missing(cls, value: MetricValue) -> MergedMetric:
        return cls(value, exact=True)


def joined_presence(a: bool | None, b: bool | None, what: str) -> bool | None:
    """Whether the window has a column, from two pieces (None: a piece that saw no rows)."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    raise ValueError(f"pieces of one window disagree on whether it has {what}")
