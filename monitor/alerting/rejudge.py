"""Re-judging a window: a metric rule judged it on provisional metrics (enough labels, not all of
them), and a later version of its metrics, within its label horizon, may say otherwise. The rule's
verdict on the window is replaced and the alert's state is folded again, window by window, from the
window before it through the latest one judged, with `for` and `keep_firing_for` counted as always.
When that moves the alert across firing, it fires or resolves now, saying which window, metrics
version and label coverage changed it."""

from __future__ import annotations

from monitor.alerting.context import AlertContext
from monitor.alerting.facts import rule_spec
from monitor.alerting.lifecycle import Advance, fired_name, judged_facts, mark_moments
from monitor.alerting.ready import JudgedWindow
from monitor.alerting.verdicts import judged_summary, record_verdict
from monitor.rules import AlertState, Observation, RuleSpec, Transition, evaluate_rule, fingerprint, observe
from monitor.store import alerts as repo
from monitor.store import judgements
from monitor.store.tables import AlertRow


def rejudge_alerts(ctx: AlertContext, item: JudgedWindow, alerts: dict[str, AlertRow]) -> Advance:
    """The rules of `item` judge its window again on its latest metrics."""
    facts = judged_facts(ctx, item)
    done = Advance(facts)
    for rule in item.rules:
        spec = rule_spec(rule)
        for observation in observe(spec, facts):
            _rejudge(ctx, item, spec, observation, alerts, done)
    repo.flush(ctx.session)
    return done


def _rejudge(
    ctx: AlertContext,
    item: JudgedWindow,
    spec: RuleSpec,
    observation: Observation,
    alerts: dict[str, AlertRow],
    done: Advance,
) -> None:
    if observation.breached is None:
        return  # the latest metrics have no value: the earlier verdict stands
    key = fingerprint(ctx.monitor, spec.name, observation.labels)
    session, end = ctx.session, item.window.end
    earlier = judgements.earlier_verdict(session=session, fingerprint=key, run_id=item.run_id)
    unchanged = earlier is not None and earlier.breached == observation.breached
    state = judgements.state_before(session=session, fingerprint=key, window_end=end)
    state = evaluate_rule(spec, observation.breached, state).alert_state
    record_verdict(ctx, item, spec, observation, state)
    if unchanged:
        return  # same verdict on newer metrics: nothing after it changes
    for later in judgements.later_verdicts(session=session, fingerprint=key, window_end=end):
        state = evaluate_rule(spec, later.breached, state).alert_state
        later.state, later.breaches, later.clears = state.state, state.breaches, state.clears
    _move_alert(ctx, item, spec, observation, alerts, done, key=key, state=state)


def _move_alert(
    ctx: AlertContext,
    item: JudgedWindow,
    spec: RuleSpec,
    observation: Observation,
    alerts: dict[str, AlertRow],
    done: Advance,
    *,
    key: str,
    state: AlertState,
) -> None:
    """Sets the alert to its state folded again, recording the transition it makes (if any)."""
    session, end = ctx.session, item.window.end
    row = alerts.get(key)
    before = AlertState() if row is None else AlertState(row.state, row.breaches, row.clears)  # type: ignore[arg-type]
    transition = _transition(before, state)
    if row is None:
        if state.state == "inactive":
            return
        row = repo.add_alert(
            session,
            monitor_id=ctx.monitor_id,
            fingerprint=key,
            rule=spec.name,
            labels=observation.labels,
            now=ctx.now,
        )
        alerts[key] = row
        row.last_run_id, row.last_window_end = item.run_id, end
    row.state, row.breaches, row.clears = state.state, state.breaches, state.clears
    row.severity, row.updated_at = spec.severity, ctx.now
    if transition is None:
        return
    row.value = observation.value
    row.summary = judged_summary(observation.summary, {**item.details, "rejudged": True})
    row.threshold = observation.threshold if observation.threshold is not None else row.threshold
    mark_moments(row, item, before, state, transition, now=ctx.now, since=observation.since)
    if transition == "fired":
        done.fired.append(fired_name(spec, observation))
    repo.flush(session)
    details = {**item.details, "rejudged": True}
    repo.add_event(
        session=session,
        alert=row,
        event=transition,
        now=ctx.now,
        run_id=item.run_id,
        window_end=end,
        details=details,
    )
    done.transitions[key] = transition


def _transition(before: AlertState, after: AlertState) -> Transition | None:
    """What the alert did, seen from outside, when its state was folded again."""
    if before.state == after.state:
        return None
    if after.state == "firing":
        return "fired"
    if before.state == "firing":
        return "resolved"
    if after.state == "pending":
        return "pending"
    if before.state == "pending":
        return "cleared"
    return None
