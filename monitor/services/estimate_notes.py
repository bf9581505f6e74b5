"""What the run page says of drift and estimated performance together: data drift that does not move
the estimated performance is shown as such, and a moved estimate without data drift as well.

An estimate is within its reference range when it lies within 3 standard deviations of the
estimator's level on reference chunks (the spread scaled to the window's rows: monitor.metrics.change),
the same scale change detection standardises with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.config import worse_when
from monitor.metrics.change import ChangeParameters
from monitor.services.estimate_types import EstimatedMetricOut

RANGE = 3.0  # standard deviations


@dataclass(frozen=True)
class EstimateShift:
    metric: str
    z: float  # (estimate - reference level) / spread at the window's rows
    worse: bool  # moved the way the metric gets worse


def shifts(estimates: Sequence[EstimatedMetricOut], parameters: Mapping[str, Any]) -> list[EstimateShift]:
    """Each whole-window estimate's distance from its reference level."""
    out = []
    for e in estimates:
        found = parameters.get(e.metric)
        if e.segment or e.value is None or not found:
            continue
        level = ChangeParameters(float(found[0]), float(found[1]), int(found[2]))
        scale = level.scale(e.row_count)
        if scale <= 0:
            continue
        z = (e.value - level.mean) / scale
        out.append(EstimateShift(e.metric, z, (z < 0) == (worse_when(e.metric) == "down")))
    return out


def drift_and_estimate_note(
    dataset_drifted: bool | None, estimates: Sequence[EstimatedMetricOut], facts: Mapping[str, Any] | None
) -> str | None:
    """A sentence on drift beside estimated performance, or None when there is nothing to say."""
    parameters = ((facts or {}).get("change_parameters") or {}).get("estimated") or {}
    found = shifts(estimates, parameters)
    if not found or dataset_drifted is None:
        return None
    moved = [s for s in found if abs(s.z) > RANGE]
    stable = ", ".join(s.metric for s in found)
    named = "; ".join(
        f"estimated {s.metric} {'below' if s.z < 0 else 'above'} its reference range ({s.z:+.1f} sd)"
        for s in moved
    )
    if dataset_drifted and not moved:
        return (
            f"Data drift is present, but the estimated performance ({stable}) stays within its reference "
            "range: this drift does not move the model's expected performance. An estimate cannot see a "
            "change in how outcomes relate to the features; the realised metrics will, once labels arrive."
        )
    if dataset_drifted:
        steady = [s.metric for s in found if abs(s.z) <= RANGE]
        rest = f"; {', '.join(steady)} stays within its reference range" if steady else ""
        return f"Data drift is present and the estimated performance moved with it: {named}{rest}."
    if moved:
        return (
            f"No dataset drift was detected, yet {named}: look at the model's output drift, the columns "
            "below the drift threshold and the segments."
        )
    return None
