"""The run page's data from a backfilled monitor: columns worst first with their tests and bins, the
data-quality findings apart from what passed, and the alert events and notifications of its window."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.reports.render import render
from monitor.services.monitors import runs_page
from monitor.services.run_page import run_page
from monitor.store.retention import prune_raw_results
from tests.conftest import DAY0, RuntimeFactory, monitor_config

DAY = timedelta(days=1)


@pytest.fixture
def backfilled(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(monitor_config(db_url))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + 4 * DAY, now=DAY0 + 10 * DAY)
    return runtime


def run_ids(runtime: Runtime) -> list[int]:
    return [r.id for r in runs_page(runtime, "m", limit=10, offset=0).items]


def test_drifted_columns_come_first_each_with_its_tests_and_bins(backfilled: Runtime) -> None:
    page = run_page(backfilled, run_ids(backfilled)[3])  # day 3: x and colour drifted
    assert page is not None
    assert [c.name for c in page.columns][:2] in (["x", "colour"], ["colour", "x"])
    assert [(c.name, c.drifted) for c in page.columns][2] == ("y", False)
    x = next(c for c in page.columns if c.name == "x")
    assert sorted(t.result.test for t in x.tests) == ["ks", "psi"]
    assert x.worst.result.drifted and x.figure is not None
    reference, current = x.figure["data"]
    assert reference["name"] == "reference" and current["name"] == "current"
    assert sum(reference["y"]) == pytest.approx(1.0) and sum(current["y"]) == pytest.approx(1.0)
    assert x.worst.why == "listed in the monitor's drift.tests"  # tests are configured, not auto
    colour = next(c for c in page.columns if c.name == "colour")
    assert sorted(colour.figure["data"][0]["x"]) == ["blue", "green", "red"]  # type: ignore[index]


def test_quality_findings_are_apart_from_passed_checks(backfilled: Runtime) -> None:
    page = run_page(backfilled, run_ids(backfilled)[3])
    assert page is not None
    assert ("out_of_range", "x") in {(q.check, q.column) for q in page.findings}
    assert all(q.finding for q in page.findings) and not any(q.finding for q in page.passed)
    assert "row_count" in {q.check for q in page.passed}
    assert len(page.findings) + len(page.passed) == len(page.run.quality)


def test_the_run_that_fired_shows_its_alert_and_the_notification_sent(backfilled: Runtime) -> None:
    # The rule needs two drifted windows: pending on day 2, firing on day 3; the backfill delivered.
    ids = run_ids(backfilled)
    pending, firing, quiet = (
        run_page(backfilled, ids[2]),
        run_page(backfilled, ids[3]),
        run_page(backfilled, ids[0]),
    )
    assert pending is not None and firing is not None and quiet is not None
    assert [(a.rule, a.event.event) for a in pending.alert_changes] == [("drift", "pending")]
    assert ("drift", "fired") in [(a.rule, a.event.event) for a in firing.alert_changes]
    assert ("drift", "notified") in [(a.rule, a.event.event) for a in firing.alert_changes]
    assert all(a.since == DAY0 + 2 * DAY for a in firing.alert_changes)
    (sent,) = firing.notifications
    assert (sent.channel, sent.kind, sent.status, sent.attempts) == ("log", "alert", "delivered", 1)
    assert quiet.alert_changes == [] and quiet.notifications == []


def test_a_pruned_run_says_its_bins_are_gone(backfilled: Runtime) -> None:
    pruned = prune_raw_results(backfilled.sessions, before=DAY0 + 10 * DAY, batch=1000, now=DAY0 + 20 * DAY)
    page = run_page(backfilled, run_ids(backfilled)[3])
    assert pruned == 4 and page is not None and page.pruned_at == DAY0 + 20 * DAY
    assert all(c.figure is None for c in page.columns)
    assert {c.no_chart for c in page.columns} == {
        "The bins were dropped by retention on 2026-06-21; the statistics remain."
    }
    html = render("run.html", run=page.run, page=page)
    assert "data-chart" not in html and "dropped by retention on 2026-06-21" in html
