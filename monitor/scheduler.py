"""APScheduler jobs: each a thin guard around a service function. Jobs are rebuilt from config at start.

`monitor serve` runs them in a background thread beside the web app; `monitor schedule` runs them
alone (for deployments with several web workers started with `--no-scheduler`)."""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.pipeline.runtime import Runtime
from monitor.services import daily_report, retention, scheduling

logger = logging.getLogger(__name__)

# A tick (every `runs.tick_interval`) only asks the database whether a window is due, so ticking often
# is cheap and makes catch-up after downtime, daylight-saving days and odd window sizes need no
# special trigger.
OUTBOX_SECONDS = 15
# The report job looks for due days this often; a pass with nothing due only lists a folder.
REPORT_SECONDS = 600


def tick(runtime: Runtime, name: str) -> None:
    try:
        scheduling.tick(runtime, name)
    except Exception:  # the job must survive anything to run again next tick
        logger.exception("scheduled run of %s failed", name)


def deliver(runtime: Runtime) -> None:
    try:
        scheduling.deliver(runtime)
    except Exception:
        logger.exception("outbox delivery failed")


def prune(runtime: Runtime) -> None:
    try:
        retention.prune(runtime)
    except Exception:
        logger.exception("retention pass failed")


def daily_reports(runtime: Runtime) -> None:
    try:
        daily_report.write_due_reports(runtime)
    except Exception:
        logger.exception("daily report pass failed")


def build_scheduler(runtime: Runtime, *, blocking: bool = False) -> BaseScheduler:
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone=UTC, job_defaults=defaults)
        if blocking
        else BackgroundScheduler(timezone=UTC, job_defaults=defaults)
    )
    for name, monitor in runtime.config.monitors.items():
        if not monitor.schedule.enabled:
            continue
        trigger = (
            CronTrigger.from_crontab(monitor.schedule.cron, timezone=monitor.window.timezone)
            if monitor.schedule.cron
            else IntervalTrigger(seconds=runtime.config.runs.tick_interval.total_seconds(), timezone=UTC)
        )
        scheduler.add_job(
            tick,
            trigger,
            args=(runtime, name),
            id=f"monitor:{name}",
            name=f"monitor {name}",
            next_run_time=runtime.clock(),
            replace_existing=True,
        )
    scheduler.add_job(
        deliver,
        IntervalTrigger(seconds=OUTBOX_SECONDS, timezone=UTC),
        args=(runtime,),
        id="outbox",
        replace_existing=True,
    )
    scheduler.add_job(
        prune,
        IntervalTrigger(seconds=runtime.config.retention.every.total_seconds(), timezone=UTC),
        args=(runtime,),
        id="retention",
        replace_existing=True,
    )
    if runtime.config.reports.enabled:
        scheduler.add_job(
            daily_reports,
            IntervalTrigger(seconds=REPORT_SECONDS, timezone=UTC),
            args=(runtime,),
            id="daily-reports",
            next_run_time=runtime.clock(),
            replace_existing=True,
        )
    return scheduler
