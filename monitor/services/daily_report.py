"""The daily drift report: one self-contained HTML file per monitor per day.

All CSS, JavaScript (plotly.js and charts.js, inlined) and data are inside the file, so it opens from
disk or a mail attachment with no network. It holds the monitor page's charts over the windows up to
the end of the day, and the day's windows: per-column drift, metrics with their label coverage, data-
quality findings, and the alerts those windows changed. Links to the service use `public_url()`.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from monitor.pipeline.runtime import Runtime
from monitor.reports.render import inline_chart_scripts, render
from monitor.services import report_files
from monitor.services.monitors import UnknownMonitor
from monitor.services.timeline import MonitorTimeline, monitor_timeline
from monitor.services.types import DriftResultOut, RunDetailOut
from monitor.store import timeline as store
from monitor.windows import day_bounds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportAlertEvent:
    """A change of an alert's state caused by one of the day's windows."""

    rule: str
    labels: dict[str, str]
    severity: str
    event: str  # pending, fired, resolved, cleared
    state: str
    value: float | None
    threshold: float | None
    summary: str
    window_end: datetime
    at: datetime  # when it was computed


@dataclass(frozen=True)
class DailyReport:
    monitor: str
    spec: Any
    day: date
    start: datetime  # the day's bounds in UTC (local midnights of the monitor's time zone)
    end: datetime
    timeline: MonitorTimeline
    runs: list[RunDetailOut]  # the day's windows, oldest first
    alerts: list[ReportAlertEvent]
    public_url: str
    written_at: datetime

    def run_url(self, run_id: int) -> str:
        return f"{self.public_url}/runs/{run_id}"

    @property
    def monitor_url(self) -> str:
        return f"{self.public_url}/monitors/{quote(self.monitor, safe='')}"

    @property
    def drifted_windows(self) -> int:
        return sum(1 for r in self.runs if r.dataset_drifted)


def drifted_first(results: list[DriftResultOut]) -> list[DriftResultOut]:
    """Drifted columns first (each column's tests together), then the others, by name."""
    drifted = {r.column for r in results if r.drifted}
    return sorted(results, key=lambda r: (r.column not in drifted, r.column, r.test))


def build_daily_report(runtime: Runtime, monitor: str, day: date) -> DailyReport:
    if monitor not in runtime.config.monitors:
        raise UnknownMonitor(f"no monitor named {monitor!r}")
    config = runtime.config
    spec = config.monitors[monitor]
    start, end = day_bounds(day, spec.window.timezone)
    public = config.public_url()
    with runtime.sessions() as session:
        first, _last, _count = store.window_bounds(session=session, monitor=monitor)
    # The last `windows` windows up to the day's end, but not before the first: a young monitor's
    # charts are not mostly empty.
    reach = end - config.reports.windows * spec.window.size
    if first is not None and first < end:
        reach = max(reach, first)
    charts = monitor_timeline(runtime, monitor, start=reach, end=end, link=f"{public}/runs/")
    with runtime.sessions() as session:
        rows = store.runs_with_results(session=session, monitor=monitor, start=start, end=end)
        runs = [RunDetailOut.from_detail(r, monitor) for r in rows]
        events = store.alert_events_of_windows(
            session=session, monitor=monitor, window_ends=[r.window_end for r in runs]
        )
    alerts = [ReportAlertEvent(*e) for e in events]
    return DailyReport(monitor, spec, day, start, end, charts, runs, alerts, public, runtime.clock())


def render_daily_report(runtime: Runtime, monitor: str, day: date) -> str:
    report = build_daily_report(runtime, monitor, day)
    return render(
        "daily_report.html",
        report=report,
        timeline=report.timeline,
        base="",
        drifted_first=drifted_first,
        scripts=inline_chart_scripts(),
    )


def write_atomically(path: Path, text: str) -> None:
    """Writes beside the target and renames over it: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_daily_report(runtime: Runtime, monitor: str, day: date, output: Path | None = None) -> Path:
    """Renders the day's report and writes it to `output`, by default its place in the reports
    folder (where the service serves it). Writing a day again replaces its file."""
    path = output or report_files.report_path(runtime.config, monitor, day)
    write_atomically(path, render_daily_report(runtime, monitor, day))
    return path


def write_due_reports(runtime: Runtime) -> report_files.ReportPass:
    """What the scheduler's report job does: for each monitor, every complete day since its first
    window (at most `keep_days` back) whose report is not written yet; then old reports are removed.
    One monitor failing does not stop the others."""
    config = runtime.config
    done = report_files.ReportPass()
    if not config.reports.enabled:
        return done
    now = runtime.clock()
    for name in config.monitors:
        try:
            with runtime.sessions() as session:
                first, _last, _count = store.window_bounds(session=session, monitor=name)
            for day in report_files.due_days(config, name, first_window=first, now=now):
                done.written.append(write_daily_report(runtime, name, day))
        except Exception as exc:
            logger.exception("daily report of %s failed", name)
            done.failed[name] = str(exc) or type(exc).__name__
    done.removed = report_files.prune_reports(config, now)
    if done.written or done.removed or done.failed:
        logger.info("%s", done.summary())
    return done
