"""Retry-After against the wall clock: a dispatcher that asks often still waits the whole time asked."""

from __future__ import annotations

import time
from datetime import timedelta

from monitor.clock import system_clock
from tests.alerting.fixtures import SLACK_HOOK_SECRET, HarnessFactory, drift_facts
from tests.notify.servers import FakeSlack, rate_limited

RULE = {"name": "drift", "signal": "drift_share", "threshold": 0.3, "notify": ["slack"]}


def test_a_20_second_retry_after_is_waited_in_full(harness: HarnessFactory, fake_slack: FakeSlack) -> None:
    h = harness(
        [RULE],
        {"slack": {"type": "slack", "webhook_url": fake_slack.add_hook(SLACK_HOOK_SECRET)}},
    )
    fake_slack.fail_next(rate_limited(20))
    h.evaluate(0, drift_facts(["a", "b"], ["a", "b", "c"]), now=system_clock())
    h.deliver(clock=system_clock)  # as the service does: each claim and outcome reads the wall clock
    answered = time.time()  # the 429 has been answered: the dispatcher returns after recording it
    deadline = time.monotonic() + 40
    while len(fake_slack.requests) < 2 and time.monotonic() < deadline:
        h.deliver(clock=system_clock)  # as the scheduler's outbox job, but far more often
        time.sleep(0.25)
    first, second = fake_slack.requests[:2]
    assert second.received_at - answered >= 20.0 - 0.05  # the first answer came before `answered`
    assert second.received_at - first.received_at >= 20.0
    (row,) = h.outbox()
    retried = h.attempts(row.id)
    assert row.status == "delivered" and [a.outcome for a in retried] == ["retry", "delivered"]
    answered_at = retried[0].finished_at
    assert answered_at is not None and retried[1].started_at - answered_at >= timedelta(seconds=20)
