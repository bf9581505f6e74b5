"""What `metric_change` rules see: their detector (monitor.metrics.change) run over the metric's
window series up to the judged window, realised or estimated, standardised by the reference level
and spread stored in the window's facts."""

from __future__ import annotations

from dataclasses import replace

from monitor.alerting.context import AlertContext
from monitor.alerting.ready import JudgedWindow
from monitor.config import AlertRuleConfig, worse_when
from monitor.metrics.change import DEFAULT_ALLOWANCE, DEFAULT_THRESHOLD, ChangeParameters, detect_changes
from monitor.rules import ChangeFact, WindowFacts
from monitor.store.estimates import SeriesPoint, estimated_series, realised_segment_series, realised_series


def with_changes(ctx: AlertContext, item: JudgedWindow, facts: WindowFacts) -> WindowFacts:
    """The facts with each `metric_change` rule's detector after the judged window: the whole
    window's series, or each segment's for a per-segment rule (in that segment's facts)."""
    rules = [r for r in item.rules if r.signal == "metric_change"]
    if not rules:
        return facts
    whole = [r for r in rules if not r.per_segment]
    each = [r for r in rules if r.per_segment]
    segments = {
        name: replace(
            found,
            changes={
                **found.changes,
                **{r.name: change_fact(ctx, item, r, found, segment=name) for r in each},
            },
        )
        for name, found in facts.segments.items()
    }
    changes = {r.name: change_fact(ctx, item, r, facts) for r in whole}
    return replace(facts, changes=changes, segments=segments if each else facts.segments)


def _series(ctx: AlertContext, item: JudgedWindow, rule: AlertRuleConfig, segment: str) -> list[SeriesPoint]:
    metric = rule.metric or ""
    if rule.of == "estimated":
        return estimated_series(
            session=ctx.session,
            monitor_id=ctx.monitor_id,
            metric=metric,
            through=item.window.end,
            segment=segment,
        )
    # Realised values count once their labels are in, as metric rules judge them.
    coverage = rule.label_coverage_needed
    if segment:
        return realised_segment_series(
            session=ctx.session,
            monitor_id=ctx.monitor_id,
            segment=segment,
            metric=metric,
            through=item.window.end,
            min_coverage=coverage,
        )
    return realised_series(
        session=ctx.session,
        monitor_id=ctx.monitor_id,
        metric=metric,
        through=item.window.end,
        min_coverage=coverage,
    )


def change_fact(
    ctx: AlertContext, item: JudgedWindow, rule: AlertRuleConfig, facts: WindowFacts, *, segment: str = ""
) -> ChangeFact:
    metric = rule.metric or ""
    subject = f"{rule.of} {metric}"
    threshold = DEFAULT_THRESHOLD if rule.threshold is None else rule.threshold
    found = facts.change_parameters.get(rule.of, {}).get(metric)
    if found is None:
        return ChangeFact(subject, None, threshold, reason="no reference level to compare with")
    series = _series(ctx, item, rule, segment)
    counted = sum(p.value is not None for p in series)
    if not counted:
        return ChangeFact(subject, None, threshold, reason="no window with a value yet")
    steps = detect_changes(
        [p.value for p in series],
        [p.rows for p in series],
        ChangeParameters(*found),
        detector=rule.detector,
        direction=rule.direction or ("up" if worse_when(metric) == "up" else "down"),
        allowance=DEFAULT_ALLOWANCE if rule.allowance is None else rule.allowance,
        threshold=threshold,
    )
    last = steps[-1]
    began = series[last.began] if last.began is not None else None
    return ChangeFact(
        subject,
        last.statistic,
        threshold,
        last.alarm,
        began.window_start if began else None,
        last.direction,
        counted,
        began_end=began.window_end if began else None,
    )
