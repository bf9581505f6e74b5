"""Where daily reports live on disk, which exist, which are due, and removing old ones.

One folder per monitor under `reports.directory`, one file per day: `<folder>/<YYYY-MM-DD>.html`. A
file's path is always built from a configured monitor and a parsed date, never from a request's text,
so no name can reach outside the folder.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from monitor.config import Config, MonitorConfig
from monitor.windows import day_bounds, local_day

logger = logging.getLogger(__name__)

REPORT_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.html$")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class ReportNotFound(LookupError):
    """No such monitor, no such day, or the day's report is not written (yet, or any more)."""


def monitor_folder(name: str) -> str:
    """The monitor's folder: its name when that is a plain file name, else a digest of it."""
    if _PLAIN_NAME.match(name):
        return name
    return "monitor-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]


def report_path(config: Config, monitor: str, day: date) -> Path:
    return config.reports_directory() / monitor_folder(monitor) / f"{day.isoformat()}.html"


def parse_report_name(filename: str) -> date | None:
    """The day of `YYYY-MM-DD.html`, or None for any other name."""
    found = REPORT_FILE.match(filename)
    if found is None:
        return None
    try:
        return date.fromisoformat(found.group(1))
    except ValueError:
        return None


def report_day(text: str) -> date:
    """A day as the CLI and links give it: YYYY-MM-DD exactly."""
    day = parse_report_name(f"{text}.html")
    if day is None:
        raise ValueError(f"not a day as YYYY-MM-DD: {text[:40]!r}")
    return day


def find_report(config: Config, monitor: str, filename: str) -> Path:
    """The file of a served report URL, checked strictly: a configured monitor and `YYYY-MM-DD.html`."""
    if monitor not in config.monitors:
        raise ReportNotFound(f"no monitor named {monitor!r}")
    day = parse_report_name(filename)
    if day is None:
        raise ReportNotFound(f"no report {filename[:60]!r}: reports are named YYYY-MM-DD.html")
    path = report_path(config, monitor, day)
    if not path.is_file():
        raise ReportNotFound(
            f"no report of {monitor!r} for {day.isoformat()}: a day's report is written once the day has "
            f"ended and its windows are computed, and kept {config.reports.keep_days} days"
        )
    return path


def available_reports(config: Config, monitor: str) -> list[date]:
    """Days of the monitor's written reports, newest first."""
    folder = config.reports_directory() / monitor_folder(monitor)
    if not folder.is_dir():
        return []
    days = {parse_report_name(p.name) for p in folder.iterdir() if p.is_file()}
    return sorted((d for d in days if d is not None), reverse=True)


def ready_at(spec: MonitorConfig, config: Config, day: date) -> datetime:
    """When the day's report is due: the day has ended, its last window has been computed, and
    `reports.delay` has passed."""
    _, end = day_bounds(day, spec.window.timezone)
    return end + spec.schedule.delay + config.reports.delay


def today(spec: MonitorConfig, now: datetime) -> date:
    return local_day(now, spec.window.timezone)


def due_days(config: Config, monitor: str, *, first_window: datetime | None, now: datetime) -> list[date]:
    """Days whose report is due and not written, oldest first: from the monitor's first window's day
    (or `keep_days` back, whichever is later) to the last day that is complete."""
    if first_window is None:
        return []
    spec = config.monitors[monitor]
    newest = today(spec, now)
    oldest = max(
        local_day(first_window, spec.window.timezone), newest - timedelta(days=config.reports.keep_days)
    )
    found = []
    day = oldest
    while day < newest:
        if ready_at(spec, config, day) <= now and not report_path(config, monitor, day).is_file():
            found.append(day)
        day += timedelta(days=1)
    return found


def prune_reports(config: Config, now: datetime) -> int:
    """Removes the reports of days more than `keep_days` before today (in each monitor's zone), and
    temporary files a crash left behind. Returns how many files were removed."""
    removed = 0
    for name, spec in config.monitors.items():
        folder = config.reports_directory() / monitor_folder(name)
        if not folder.is_dir():
            continue
        oldest = today(spec, now) - timedelta(days=config.reports.keep_days)
        for path in folder.iterdir():
            day = parse_report_name(path.name)
            leftover = path.name.startswith(".") and path.name.endswith(".tmp")
            if (day is not None and day < oldest) or leftover:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


@dataclass
class ReportPass:
    """What one pass of the scheduler's report job did."""

    written: list[Path] = field(default_factory=list)
    removed: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # monitor -> why

    def summary(self) -> str:
        failed = "".join(f"; {m} failed: {why}" for m, why in sorted(self.failed.items()))
        return f"daily reports: wrote {len(self.written)}, removed {self.removed}{failed}"
