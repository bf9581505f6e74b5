"""The demo of `make run` (60 daily windows, drift from day 40, late labels, estimates, alerts), built
once per test session and copied for each module that uses it.

Building it is the suite's largest single setup (over a minute), and two modules need it, usually on
different xdist workers: the first to ask builds it under a lock in the workers' common temporary
directory, the others wait for it and copy it. Each module gets its own copy, so what one module's
tests write is never seen by another's.
"""

from __future__ import annotations

import fcntl
import pickle
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.pipeline import RunOutcome
from monitor.services.demo import prepare_demo

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
OUTCOMES = "outcomes.pickle"


def _shared_directory(factory: pytest.TempPathFactory) -> Path:
    """The directory every xdist worker of this session sees (the base temporary directory's parent
    under xdist, the base itself without it)."""
    base = factory.getbasetemp()
    return base.parent if base.name.startswith("popen-gw") else base


def _build(target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(REPO / "config", partial / "config")
    outcomes = prepare_demo(load_config(partial / "config" / "demo.yaml", env={}), now=NOW)
    (partial / OUTCOMES).write_bytes(pickle.dumps(outcomes))
    partial.rename(target)  # only a whole build is ever seen under the target's name


def demo_copy(factory: pytest.TempPathFactory) -> tuple[Path, list[RunOutcome]]:
    """A private copy of the session's demo build (config/, data/) and the runs that built it."""
    shared = _shared_directory(factory)
    target = shared / "demo-build"
    with (shared / "demo-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (target / OUTCOMES).exists():
                _build(target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    root = factory.mktemp("demo")
    shutil.copytree(target, root, dirs_exist_ok=True)
    outcomes: list[RunOutcome] = pickle.loads((root / OUTCOMES).read_bytes())
    return root, outcomes
