"""What the alerts page shows: the alerts on a timeline of the windows they are about and in tables by
state (with the silences muting them), the silences, one page of the delivery log (newest first) and
the dead letters. Rendered from stored rows only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from monitor.alerting.context import routing_labels
from monitor.reports.charts import AlertSpan, Figure
from monitor.reports.metric_charts import alert_timeline
from monitor.rules import silenced_by
from monitor.services.alert_types import NotificationOut, SilenceOut
from monitor.services.alerts import notification_out
from monitor.services.types import AlertOut
from monitor.store import SessionFactory, outbox
from monitor.store import alerts as repo

LOG_PAGE = 50
STATES = ("firing", "pending", "resolved")


def alert_name(alert: AlertOut) -> str:
    labels = (f"{k}={v}" for k, v in sorted(alert.labels.items()) if k != "rule")
    return " ".join([alert.monitor, "·", alert.rule, *labels])


def timeline(alerts: list[AlertOut]) -> Figure | None:
    """Each alert from the start of the window its condition began in to the end of the last window
    judged (resolved), or to the newest window of any alert (still active); None without alerts."""
    if not alerts:
        return None
    starts = {a.id: a.since_window_start or a.started_at for a in alerts}
    ends = [a.last_window_end or a.since_window_end or starts[a.id] for a in alerts]
    x_range = (min(starts.values()), max(ends))
    spans = [
        AlertSpan(
            alert_name(a),
            a.severity,
            starts[a.id],
            (a.last_window_end or starts[a.id]) if a.state == "resolved" else None,
            a.state,
        )
        for a in alerts
        if a.state in STATES
    ]
    return alert_timeline(spans, x_range=x_range) if spans else None


@dataclass(frozen=True)
class LogPage:
    """One page of the delivery log, newest first, and the link to the next older page."""

    items: list[NotificationOut]
    older_href: str | None
    newest_href: str | None  # back to the first page, when this is not it


@dataclass(frozen=True)
class AlertsPage:
    alerts: list[tuple[AlertOut, list[int]]]  # each with the silences muting it, newest change first
    by_state: dict[str, list[tuple[AlertOut, list[int]]]]
    timeline: Figure | None
    silences: list[SilenceOut]  # active, pending and expired
    dead_letters: list[NotificationOut]
    log: LogPage
    counts: dict[str, int]  # notifications by status


def _log_page(items: list[NotificationOut], *, before: int | None, size: int) -> LogPage:
    shown = items[:size]
    older = f"/alerts?{urlencode({'before': shown[-1].id})}#notifications" if len(items) > size else None
    return LogPage(shown, older, "/alerts#notifications" if before is not None else None)


def alerts_page(
    sessions: SessionFactory,
    *,
    now: datetime,
    models: Mapping[str, str],
    before: int | None = None,
    page_size: int = LOG_PAGE,
) -> AlertsPage:
    """The page; `before` is the delivery log's cursor: notifications with a smaller id."""
    with sessions() as session:
        active = repo.active_silences(session=session, now=now)
        alerts = []
        for row, monitor in repo.list_alerts(session=session):
            labels = routing_labels(
                row.labels, monitor=monitor, model=models.get(monitor, ""), severity=row.severity
            )
            alerts.append((AlertOut.from_row(row, monitor), silenced_by(labels, active, now)))
        silences = [
            SilenceOut.from_row(r, now) for r in repo.silences(session=session, now=now, include_expired=True)
        ]
        dead = [
            notification_out(r, a) for r, a in outbox.notifications(session=session, status="dead", limit=200)
        ]
        recent = outbox.notifications(session=session, limit=page_size + 1, before=before)
        log = _log_page([notification_out(r, a) for r, a in recent], before=before, size=page_size)
        counts = outbox.notification_counts(session=session)
    return AlertsPage(
        alerts=alerts,
        by_state={state: [(a, m) for a, m in alerts if a.state == state] for state in STATES},
        timeline=timeline([a for a, _ in alerts]),
        silences=silences[:100],
        dead_letters=dead,
        log=log,
        counts=counts,
    )
