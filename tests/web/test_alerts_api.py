"""Alerting over HTTP on a live server: silences, an alert's history, the delivery log, dead letters
and resending, channel tests; and the alerts pages in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from monitor.services.alerts_page import alerts_page
from monitor.web.app import create_app
from tests.alerting.fixtures import SLACK_HOOK_SECRET, AlertHarness, HarnessFactory, drift_facts
from tests.conftest import AUTH_HEADERS
from tests.notify.servers import FakeSlack
from tests.servers import serving

RULE = {"name": "drift", "signal": "drift_share", "threshold": 0.3, "notify": ["slack", "gone"]}


@pytest.fixture
def setup(harness: HarnessFactory, fake_slack: FakeSlack) -> Iterator[tuple[AlertHarness, httpx.Client]]:
    """One alert fired now; Slack took the message, the `gone` hook was refused (a dead letter)."""
    gone = fake_slack.url + FakeSlack.HOOK_PATH + "removed-hook"
    h = harness(
        [RULE],
        {
            "slack": {"type": "slack", "webhook_url": fake_slack.add_hook(SLACK_HOOK_SECRET)},
            "gone": {"type": "slack", "webhook_url": gone},
        },
    )
    now = datetime.now(UTC)
    h.evaluate(0, drift_facts(["a", "b"], ["a", "b", "c"]), now=now)
    h.deliver(now)
    with serving(create_app(h.runtime)) as server, server.client() as client:
        yield h, client


def test_silences_are_created_listed_and_expired(setup: tuple[AlertHarness, httpx.Client]) -> None:
    _, client = setup
    body = {
        "matchers": ["rule=drift", "column=~a|b"],
        "author": "ana",
        "comment": "retraining",
        "duration": "3h",
    }
    created = client.post("/api/v1/silences", json=body)
    assert created.status_code == 201
    silence = created.json()
    assert (silence["matchers"], silence["state"], silence["author"]) == (
        ["rule=drift", "column=~a|b"],
        "active",
        "ana",
    )
    ends = datetime.fromisoformat(silence["ends_at"]) - datetime.fromisoformat(silence["starts_at"])
    assert ends == timedelta(hours=3)
    assert [s["id"] for s in client.get("/api/v1/silences").json()["items"]] == [silence["id"]]
    expired = client.post(f"/api/v1/silences/{silence['id']}/expire").json()
    assert expired["state"] == "expired"
    assert client.get("/api/v1/silences").json()["items"] == []
    assert [s["id"] for s in client.get("/api/v1/silences", params={"expired": True}).json()["items"]] == [
        silence["id"]
    ]
    assert client.delete("/api/v1/silences/9999").status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"matchers": ["rule"], "author": "a", "comment": "c"}, "'rule' is not a matcher"),
        ({"matchers": ["team=~.*"], "author": "a", "comment": "c"}, "would mute everything"),
        ({"matchers": ["rule=x"], "author": " ", "comment": "c"}, "needs an author"),
        ({"matchers": ["rule=x"], "author": "a", "comment": "c", "duration": "soon"}, "not a duration"),
        (
            {"matchers": ["rule=x"], "author": "a", "comment": "c", "ends_at": "2001-01-01T00:00:00Z"},
            "in the future",
        ),
    ],
)
def test_a_bad_silence_is_refused_with_the_reason(
    setup: tuple[AlertHarness, httpx.Client], body: dict[str, Any], message: str
) -> None:
    _, client = setup
    response = client.post("/api/v1/silences", json=body)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_an_alert_has_its_history_and_the_silences_muting_it(
    setup: tuple[AlertHarness, httpx.Client],
) -> None:
    _, client = setup
    (alert,) = client.get("/api/v1/alerts").json()
    silence = client.post(
        "/api/v1/silences", json={"matchers": ["model=toy"], "author": "ana", "comment": "known"}
    ).json()
    detail = client.get(f"/api/v1/alerts/{alert['id']}").json()
    assert detail["state"] == "firing" and detail["silenced_by"] == [silence["id"]]
    assert [(e["event"], e["details"].get("channel")) for e in detail["events"]] == [
        ("fired", None),
        ("notified", "slack"),
        ("notified", "gone"),
    ]
    assert client.get("/api/v1/alerts/424242").status_code == 404


def test_dead_letters_are_listed_and_resent_with_their_key(
    setup: tuple[AlertHarness, httpx.Client], fake_slack: FakeSlack
) -> None:
    h, client = setup
    log = client.get("/api/v1/notifications").json()
    assert log["counts"] == {"delivered": 1, "dead": 1}
    (dead,) = client.get("/api/v1/dead-letters").json()["items"]
    assert (
        dead["channel"] == "gone"
        and dead["attempts"] == 1
        and dead["headline"] == "[FIRING:1] m (toy): drift"
    )
    assert "invalid_token" in dead["last_error"] and "removed-hook" not in dead["last_error"]
    assert [(a["outcome"], a["status_code"]) for a in dead["attempt_log"]] == [("failed", 403)]
    fake_slack.hooks[FakeSlack.HOOK_PATH + "removed-hook"] = "ok"  # someone fixed the hook
    resent = client.post(f"/api/v1/dead-letters/{dead['id']}/resend")
    assert resent.status_code == 200 and resent.json()["status"] == "pending"
    assert client.post(f"/api/v1/dead-letters/{dead['id']}/resend").status_code == 422  # not dead now
    assert client.post("/api/v1/dead-letters/99999/resend").status_code == 404
    assert h.deliver(datetime.now(UTC)) == 1
    again = [r for r in fake_slack.requests if r.path.endswith("removed-hook")]
    assert [r.headers["Idempotency-Key"] for r in again] == [dead["idempotency_key"]] * 2


def test_a_channel_test_message(setup: tuple[AlertHarness, httpx.Client], fake_slack: FakeSlack) -> None:
    _, client = setup
    ok = client.post("/api/v1/notifiers/slack/test").json()
    refused = client.post("/api/v1/notifiers/gone/test").json()
    unknown = client.post("/api/v1/notifiers/pager/test")
    assert (ok["ok"], ok["status_code"]) == (True, 200)
    assert (
        fake_slack.requests[-2].json["text"].startswith("Test message from model-monitor to 'slack' (slack)")
    )
    assert (refused["ok"], refused["retryable"], refused["status_code"]) == (False, False, 403)
    assert unknown.status_code == 404 and "known: gone, slack" in unknown.json()["detail"]


@pytest.mark.browser
def test_the_alerts_page_shows_silences_and_dead_letters_and_leads_to_the_history(
    setup: tuple[AlertHarness, httpx.Client], browser: Any
) -> None:
    _, client = setup
    client.post("/api/v1/silences", json={"matchers": ["rule=drift"], "author": "ana", "comment": "on it"})
    context = browser.new_context(extra_http_headers=AUTH_HEADERS, base_url=str(client.base_url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/alerts")
        row = page.locator("#alerts tr[data-state='firing']")
        assert row.count() == 1 and row.get_attribute("data-silenced") == "true"
        assert "silenced" in row.inner_text()
        assert "ana" in page.locator("#silences tr[data-state='active']").inner_text()
        dead = page.locator("#dead-letter-list tr[data-status='dead']")
        assert dead.count() == 1 and "invalid_token" in dead.inner_text()
        row.locator("a[href^='/alerts/']").click()
        page.wait_for_url("**/alerts/*")
        assert page.locator("#alert-state").inner_text() == "firing"
        assert [e.get_attribute("data-event") for e in page.locator("#events tbody tr").all()] == [
            "fired",
            "notified",
            "notified",
        ]
    finally:
        context.close()
    assert errors == []


def test_the_delivery_log_pages_newest_first(setup: tuple[AlertHarness, httpx.Client]) -> None:
    h, _ = setup
    now = datetime.now(UTC)
    first = alerts_page(h.runtime.sessions, now=now, models=h.runtime.models(), page_size=1)
    second = alerts_page(
        h.runtime.sessions, now=now, models=h.runtime.models(), page_size=1, before=first.log.items[0].id
    )
    (newest,), (older,) = first.log.items, second.log.items
    assert newest.id > older.id and {newest.channel, older.channel} == {"slack", "gone"}
    assert first.log.older_href == f"/alerts?before={newest.id}#notifications"
    assert first.log.newest_href is None and second.log.newest_href == "/alerts#notifications"
    assert second.log.older_href is None  # nothing older than the second of two
    assert [a.rule for a, _ in first.by_state["firing"]] == ["drift"]
    assert first.timeline is not None and [t["name"] for t in first.timeline["data"]] == ["firing"]


@pytest.mark.browser
def test_a_dead_letter_is_resent_from_the_alerts_page(
    setup: tuple[AlertHarness, httpx.Client], browser: Any
) -> None:
    _, client = setup
    context = browser.new_context(extra_http_headers=AUTH_HEADERS, base_url=str(client.base_url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/alerts")
        # Waits on locators: the pages' CSP forbids the eval a string predicate would need.
        page.locator("#alert-timeline .js-plotly-plot").wait_for(timeout=20_000)
        traces = page.evaluate("document.querySelector('#alert-timeline .js-plotly-plot').data.length")
        dead = page.locator("#dead-letter-list tr[data-status='dead']")
        dead_id = dead.get_attribute("data-notification")
        dead.locator("form.resend button").click()
        page.wait_for_url("**/alerts?resent=*")
        assert traces == 1
        assert page.locator("#resent").inner_text().startswith(f"Notification {dead_id} is queued again")
        assert page.locator("#dead-letter-list").count() == 0
        again = page.locator(f"#notifications tr[data-notification='{dead_id}']")
        assert again.get_attribute("data-status") == "pending"
    finally:
        context.close()
    assert errors == []
    assert client.post(f"/alerts/notifications/{dead_id}/resend").status_code == 409  # not dead now
    assert client.post("/alerts/notifications/99999/resend").status_code == 404
