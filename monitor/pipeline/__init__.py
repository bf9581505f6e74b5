"""One monitoring run and what feeds it: the runtime, reference profiles, late labels, catch-up."""

from monitor.pipeline.catchup import Backfill, SkippedWindow, backfill, due_windows, plan_backfill, run_due
from monitor.pipeline.compute import WindowComputation, compute_window
from monitor.pipeline.reference import drift_options, reference_profile
from monitor.pipeline.run import RunOutcome, run_monitor

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
