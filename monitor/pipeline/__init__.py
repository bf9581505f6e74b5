"""One monitoring run and what feeds it: the runtime, reference profiles, late labels, catch-up.

Its names are imported when first used (PEP 562), so that importing `monitor.pipeline.runtime` (as
every command does) does not import the drift engine and scikit-learn."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.pipeline.catchup import (
        Backfill,
        SkippedWindow,
        backfill,
        due_windows,
        plan_backfill,
        run_due,
    )
    from monitor.pipeline.compute import WindowComputation, compute_window
    from monitor.pipeline.reference import drift_options, reference_profile
    from monitor.pipeline.run import RunOutcome, run_monitor

_HOMES = {
    "Backfill": "catchup",
    "SkippedWindow": "catchup",
    "backfill": "catchup",
    "due_windows": "catchup",
    "plan_backfill": "catchup",
    "run_due": "catchup",
    "WindowComputation": "compute",
    "compute_window": "compute",
    "drift_options": "reference",
    "reference_profile": "reference",
    "RunOutcome": "run",
    "run_monitor": "run",
}

__all__ = [
    "Backfill",
    "RunOutcome",
    "SkippedWindow",
    "WindowComputation",
    "backfill",
    "compute_window",
    "drift_options",
    "due_windows",
    "plan_backfill",
    "reference_profile",
    "run_due",
    "run_monitor",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
