"""APScheduler jobs that call the pipeline, nothing more. Jobs are rebuilt from config at start."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor import labelled, pipeline
from monitor.notify.outbox import deliver_pending
from monitor.runtime import Runtime

logger = logging.getLogger(__name__)

# A tick only asks the database whether a window is due, so ticking often is cheap and makes
# catch-up after downtime, daylight-saving days and odd window sizes need no special trigger.
TICK_SECONDS = 60
OUTBOX_SECONDS = 15


def _clock() -> datetime:
    return datetime.now(UTC)


def tick(runtime: Runtime, name: str, now: Callable[[], datetime] = _clock) -> None:
    try:
        for outcome in pipeline.run_due(runtime, name, now=now()):
            logger.info("%s", outcome.summary().splitlines()[0])
        # Late labels: past windows within the label horizon get their metrics recomputed.
        for refreshed in labelled.refresh_late_labels(runtime, name, now=now()):
            if refreshed.version is not None:
                logger.info("%s", refreshed.summary())
    except Exception:  # the job must survive anything to run again next tick
        logger.exception("scheduled run of %s failed", name)


def deliver(runtime: Runtime, now: Callable[[], datetime] = _clock) -> None:
    try:
        alerting = runtime.config.alerting
        deliver_pending(
            runtime.sessions,
            runtime.notifiers,
            now=now(),
            lease=alerting.dispatch_lease,
            max_age=alerting.delivery_max_age,
        )
    except Exception:
        logger.exception("outbox delivery failed")


def build_scheduler(runtime: Runtime, now: Callable[[], datetime] = _clock) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    )
    for name, monitor in runtime.config.monitors.items():
        if not monitor.schedule.enabled:
            continue
        trigger = (
            CronTrigger.from_crontab(monitor.schedule.cron, timezone=monitor.window.timezone)
            if monitor.schedule.cron
            else IntervalTrigger(seconds=TICK_SECONDS, timezone=UTC)
        )
        scheduler.add_job(
            tick,
            trigger,
            args=(runtime, name, now),
            id=f"monitor:{name}",
            name=f"monitor {name}",
            next_run_time=now(),
            replace_existing=True,
        )
    scheduler.add_job(
        deliver,
        IntervalTrigger(seconds=OUTBOX_SECONDS, timezone=UTC),
        args=(runtime, now),
        id="outbox",
        replace_existing=True,
    )
    return scheduler
