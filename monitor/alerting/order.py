"""Windows are judged in window order per monitor, whichever process computed which.

A run stores its results and then, under the monitor's lock, judges every stored window after the
monitor's cursor in order, stopping at the first window not computed yet (running, or failed with
attempts left): that window's run judges the ones waiting behind it, from the facts stored with them.
So two instances finishing windows out of order still advance each alert window by window, and no
FIRING or RESOLVED is skipped or invented."""

from __future__ import annotations

from monitor.alerting.context import AlertContext
from monitor.alerting.facts import facts_from_json, failed_facts
from monitor.alerting.judge import apply_rules
from monitor.rules import WindowFacts
from monitor.store import alerts as repo
from monitor.store import judging
from monitor.windows import Window


def judge_in_order(ctx: AlertContext, *, run_id: int, window: Window, facts: WindowFacts) -> list[str]:
    """Judges this window and every stored window waiting behind it; returns the alerts that fired
    (those of other windows name their window). Call in the run's transaction, after its results."""
    repo.lock_monitor(session=ctx.session, monitor_id=ctx.monitor_id)
    through = judging.judged_through(session=ctx.session, monitor_id=ctx.monitor_id)
    if through is None or window.end <= through:
        # The monitor's first judgement, or old news (a recompute, a late backfill): judged alone,
        # and an older window never rewinds alerts nor sends anything.
        alone = apply_rules(ctx, run_id=run_id, window=window, facts=facts)
        if through is None:
            judging.mark_judged(session=ctx.session, monitor_id=ctx.monitor_id, through=window.end)
        return alone
    fired: list[str] = []
    max_attempts = ctx.config.runs.max_attempts
    for stored in judging.windows_after(session=ctx.session, monitor_id=ctx.monitor_id, after=through):
        gave_up = stored.status == "failed" and stored.attempts >= max_attempts
        if stored.status != "succeeded" and not gave_up:
            break  # an earlier window is still to come: the ones behind it wait for its run
        here = stored.run_id == run_id
        span = Window(stored.start, stored.end)
        if gave_up:
            found = failed_facts(span)  # only `run_failed` rules judge it
        elif here or stored.facts is not None:
            found = facts if here else facts_from_json(stored.facts or {})
        else:
            continue  # stored before facts were kept: judged when it ran
        names = apply_rules(ctx, run_id=stored.run_id, window=span, facts=found)
        fired += names if here else [f"{n} (window {span.label()})" for n in names]
        judging.mark_judged(session=ctx.session, monitor_id=ctx.monitor_id, through=stored.end)
    return fired
