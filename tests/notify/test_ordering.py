"""Messages of one alert group reach the channel in the order they were written: a RESOLVED waits
while its FIRING is still being retried."""

from __future__ import annotations

from datetime import timedelta

from tests.alerting.fixtures import SLACK_HOOK_SECRET, HarnessFactory, drift_facts
from tests.conftest import DAY0
from tests.notify.servers import FakeSlack, server_error

NOW = DAY0 + timedelta(days=10)
RULE = {"name": "drift", "signal": "drift_share", "threshold": 0.3, "notify": ["slack"]}


def test_a_resolved_never_overtakes_its_firing(harness: HarnessFactory, fake_slack: FakeSlack) -> None:
    h = harness([RULE], {"slack": {"type": "slack", "webhook_url": fake_slack.add_hook(SLACK_HOOK_SECRET)}})
    fake_slack.fail_next(server_error())
    h.evaluate(0, drift_facts(["a", "b"], ["a", "b", "c"]), now=NOW)
    h.deliver(NOW)  # FIRING fails once: retried after a backoff of 5 to 10 s
    h.evaluate(1, drift_facts([], ["a", "b", "c"]), now=NOW + timedelta(seconds=1))
    firing, resolved = h.outbox()
    assert (firing.status, resolved.status) == ("pending", "pending")
    assert resolved.next_attempt_at < firing.next_attempt_at  # the RESOLVED is due first ...
    h.deliver(NOW + timedelta(seconds=2))
    assert len(fake_slack.requests) == 1  # ... and still waits behind the FIRING
    h.deliver(firing.next_attempt_at)
    texts = [r.json["text"] for r in fake_slack.delivered()]
    assert [t.split()[0] for t in texts] == ["[FIRING:1]", "[RESOLVED]"]


def test_other_groups_do_not_wait(harness: HarnessFactory, fake_slack: FakeSlack) -> None:
    rules = [RULE, {**RULE, "name": "rows", "signal": "quality", "check": "no_rows", "threshold": 0.5}]
    h = harness(
        rules,
        {
            "slack": {
                "type": "slack",
                "webhook_url": fake_slack.add_hook(SLACK_HOOK_SECRET),
                "group_by": ["rule"],
            }
        },
    )
    fake_slack.fail_next(server_error())
    h.evaluate(0, drift_facts(["a", "b"], ["a", "b", "c"], row_count=0), now=NOW)
    h.deliver(NOW)  # one group's message fails, the other's is delivered in the same pass
    assert len(fake_slack.delivered()) == 1 and len(fake_slack.requests) == 2
