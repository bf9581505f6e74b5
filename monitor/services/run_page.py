"""What the run page shows: the run, its columns (worst first, each with its tests and its reference
and current distributions), its data-quality findings apart from the checks that passed, and what it
did to alerting (the alert events of its window and the notifications they sent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.pipeline.runtime import Runtime
from monitor.reports.charts import ColumnResult, Figure
from monitor.reports.distribution_chart import distribution_figure
from monitor.services.alert_types import AlertEventOut, NotificationOut
from monitor.services.alerts import notification_out
from monitor.services.estimate_notes import drift_and_estimate_note
from monitor.services.types import DriftResultOut, QualityOut, RunDetailOut
from monitor.store import runs as run_store
from monitor.store.run_alerts import notifications_by_key, run_alert_events
from monitor.store.tables import AlertEventRow, AlertRow


def score(result: DriftResultOut) -> float:
    """How far past its threshold a result is (1 at the threshold; see ColumnResult.score); -1 when it
    could not be judged, so such results sort last."""
    found = ColumnResult(
        0, result.column, result.test, result.statistic, result.p_value, result.threshold, result.drifted
    ).score
    return -1.0 if found is None or result.status != "ok" else found


def why_chosen(result: DriftResultOut) -> str:
    """Why the test ran on this column: the automatic choice's reason, else the monitor's config."""
    reason = result.details.get("chosen_by")
    return str(reason) if reason else "listed in the monitor's drift.tests"


@dataclass(frozen=True)
class ColumnTest:
    """One test of a column as the page shows it."""

    result: DriftResultOut
    effect_size: float | None
    effect_name: str  # e.g. cramers_v, ks_statistic
    why: str  # why the test ran on the column

    @classmethod
    def of(cls, result: DriftResultOut) -> ColumnTest:
        value = result.details.get("effect_size")
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        name = str(result.details.get("effect_size_name") or result.test)
        return cls(result, number, name, why_chosen(result))


@dataclass(frozen=True)
class ColumnView:
    name: str
    kind: str
    drifted: bool
    tests: list[ColumnTest]  # worst first
    figure: Figure | None
    no_chart: str  # why there is no figure, when there is none

    @property
    def worst(self) -> ColumnTest:
        return self.tests[0]


@dataclass(frozen=True)
class AlertChange:
    """An alert event of the run's window, with what the alert is."""

    alert_id: int
    rule: str
    labels: dict[str, str]
    since: datetime | None  # start of the window in which the alert's condition began
    event: AlertEventOut


@dataclass(frozen=True)
class RunPage:
    run: RunDetailOut
    pruned_at: datetime | None  # retention dropped the bins (and details) of this run's results
    columns: list[ColumnView]  # drifted first, then the worst score first
    findings: list[QualityOut]
    passed: list[QualityOut]
    alert_changes: list[AlertChange]
    notifications: list[NotificationOut]
    # Data drift beside estimated performance (monitor.services.estimate_notes), or None.
    estimate_note: str | None = None


def _figure(tests: list[DriftResultOut], pruned: datetime | None) -> tuple[Figure | None, str]:
    if pruned is not None:
        return None, f"The bins were dropped by retention on {pruned:%Y-%m-%d}; the statistics remain."
    for test in tests:
        figure = distribution_figure(test.column, test.details)
        if figure is not None:
            return figure, ""
    return None, "No test of this column stored its bins."


def column_views(results: list[DriftResultOut], pruned: datetime | None) -> list[ColumnView]:
    by_column: dict[str, list[DriftResultOut]] = {}
    for r in results:
        by_column.setdefault(r.column, []).append(r)
    views = []
    for name, tests in by_column.items():
        tests = sorted(tests, key=lambda t: (not t.drifted, -score(t), t.test))
        figure, no_chart = _figure(tests, pruned)
        drifted = any(t.drifted for t in tests)
        shown = [ColumnTest.of(t) for t in tests]
        views.append(ColumnView(name, tests[0].kind, drifted, shown, figure, no_chart))
    return sorted(views, key=lambda v: (not v.drifted, -score(v.worst.result), v.name))


def _alert_changes(rows: list[tuple[AlertEventRow, AlertRow]]) -> list[AlertChange]:
    return [
        AlertChange(
            alert.id,
            alert.rule,
            dict(alert.labels or {}),
            alert.since_window_start or alert.started_at,
            AlertEventOut.from_row(event),
        )
        for event, alert in rows
    ]


def run_page(runtime: Runtime, run_id: int) -> RunPage | None:
    with runtime.sessions() as session:
        found = run_store.get_run(session=session, run_id=run_id)
        if found is None:
            return None
        row, monitor = found
        detail = RunDetailOut.from_detail(row, monitor)
        changes = _alert_changes(run_alert_events(session=session, run=row))
        keys = {
            str(c.event.details["idempotency_key"]) for c in changes if c.event.details.get("idempotency_key")
        }
        sent = [notification_out(r, a) for r, a in notifications_by_key(session=session, keys=keys)]
        pruned = row.pruned_at
        note = drift_and_estimate_note(detail.dataset_drifted, detail.estimated_metrics, row.facts)
    return RunPage(
        run=detail,
        pruned_at=pruned,
        columns=column_views(detail.drift_results, pruned),
        findings=[q for q in detail.quality if q.finding],
        passed=[q for q in detail.quality if not q.finding],
        alert_changes=changes,
        notifications=sent,
        estimate_note=note,
    )
