"""Recording a metric rule's verdict on a window (monitor.store.judgements): the first judgement
and every re-judgement as later labels change the window's metrics."""

from __future__ import annotations

from monitor.alerting.context import AlertContext
from monitor.alerting.ready import JudgedWindow
from monitor.rules import AlertState, Observation, RuleSpec, fingerprint
from monitor.store import judgements
from monitor.store.label_tables import MetricJudgementRow


def verdict_of(
    ctx: AlertContext, item: JudgedWindow, spec: RuleSpec, observation: Observation
) -> judgements.Verdict:
    assert observation.breached is not None
    details = item.details
    version, coverage = details.get("metrics_version"), details.get("label_coverage")
    return judgements.Verdict(
        fingerprint=fingerprint(ctx.monitor, spec.name, observation.labels),
        rule=spec.name,
        run_id=item.run_id,
        window_start=item.window.start,
        window_end=item.window.end,
        version=version if isinstance(version, int) else None,
        coverage=float(coverage) if isinstance(coverage, int | float) else None,
        value=observation.value,
        breached=observation.breached,
        provisional=bool(details.get("provisional")),
    )


def judged_summary(summary: str, details: dict[str, object] | None) -> str:
    """An alert's summary with what its metric verdict rests on, when that may still change or did."""
    if not details or not (details.get("provisional") or details.get("rejudged")):
        return summary
    coverage, version = details.get("label_coverage"), details.get("metrics_version")
    basis = [
        f"{100 * coverage:.0f}% labelled" if isinstance(coverage, int | float) else "",
        f"metrics v{version}",
    ]
    kind = "provisional" if details.get("provisional") else "final"
    again = "re-judged, " if details.get("rejudged") else ""
    return f"{summary} ({again}{kind}: {', '.join(b for b in basis if b)})"


def record_verdict(
    ctx: AlertContext, item: JudgedWindow, spec: RuleSpec, observation: Observation, after: AlertState
) -> MetricJudgementRow:
    return judgements.record(
        session=ctx.session,
        monitor_id=ctx.monitor_id,
        verdict=verdict_of(ctx, item, spec, observation),
        after=after,
        now=ctx.now,
    )
