"""What every stage of alerting needs to know about the monitor it works on, in one frozen object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from monitor.config import AlertRuleConfig, Config
from monitor.store import Session
from monitor.windows import Window, local_day


@dataclass(frozen=True)
class AlertContext:
    """One monitor's alerting in one transaction: its rules, who it is about, and the time of the
    change. Built once per run or label refresh and handed to each stage."""

    session: Session
    config: Config
    monitor: str
    model: str
    monitor_id: int
    now: datetime
    # Data time of the label stream (monitor.label_time): what metric rules judge maturity by.
    # None: the time of the change.
    label_time: datetime | None = None

    @property
    def rules(self) -> list[AlertRuleConfig]:
        return self.config.monitors[self.monitor].alerts

    def run_url(self, run_id: int) -> str:
        return f"{self.config.public_url()}/runs/{run_id}"

    def alerts_url(self) -> str:
        return f"{self.config.public_url()}/alerts"

    def daily_report_url(self, window: Window) -> str | None:
        """The daily report of the day the window starts on (in the monitor's zone), as the service
        serves it (monitor/web/pages/reports.py); None when reports are off."""
        if not self.config.reports.enabled:
            return None
        day = local_day(window.start, self.config.monitors[self.monitor].window.timezone)
        return f"{self.config.public_url()}/reports/{quote(self.monitor, safe='')}/{day.isoformat()}.html"

    def routing_labels(self, labels: dict[str, str] | None, severity: str) -> dict[str, str]:
        """What silences match and group_by picks from: an alert's labels and who it is about."""
        return routing_labels(labels, monitor=self.monitor, model=self.model, severity=severity)


def routing_labels(
    labels: dict[str, str] | None, *, monitor: str, model: str, severity: str
) -> dict[str, str]:
    """An alert's labels with the monitor, model and severity it is about: what silences match."""
    return {**(labels or {}), "monitor": monitor, "model": model, "severity": severity}
