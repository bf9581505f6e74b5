"""What every command shares: exit codes, the user-facing error, the clock, loading the config."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.clock import system_clock
from monitor.errors import UserError

if TYPE_CHECKING:
    from monitor.config import Config

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(UserError):
    """A message for the user; the command exits non-zero without a traceback."""


def _now() -> datetime:
    """The CLI is where the process starts, so it is where the wall clock is chosen."""
    return system_clock()


def _load(path: str) -> Config:
    from monitor.config import load_config  # pydantic: imported by the commands that read a config

    return load_config(path)


def _progress(done: int, total: int, outcome: object) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done == total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)
