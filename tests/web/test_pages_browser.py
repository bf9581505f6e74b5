"""The pages in real headless Chromium (Debian's package), driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import AUTH_HEADERS

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(extra_http_headers=AUTH_HEADERS, base_url=live_server)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def test_dashboard_shows_the_monitor_with_drift_and_alert(page: Any) -> None:
    page.goto("/")
    row = page.locator("#monitors tr[data-monitor='m']")
    assert row.count() == 1
    assert row.locator("td.drift").inner_text().split() == ["drift", "0.67"]
    assert row.locator("td.drift svg.spark polyline").count() == 1
    alerts = row.locator("td.alerts").inner_text()
    assert "1 firing" in alerts and "drift since 2026-06-03 00:00" in alerts  # pending from day 2
    # the backfilled windows are months old and the scheduler never ran since: stale, and said so
    assert row.get_attribute("data-status") == "stale"
    assert "no window after 2026-06-05 00:00" in row.locator("td.status .reason").inner_text()


def test_from_dashboard_to_a_run_page_by_clicking(page: Any) -> None:
    page.goto("/")
    page.click("#monitors a[href='/monitors/m']")
    page.wait_for_url("**/monitors/m")
    runs = page.locator("#runs tbody tr")
    assert runs.count() == 4
    drifted = page.locator("#runs tbody tr.drifted")
    assert drifted.count() == 2
    drifted.first.locator("a").click()
    page.wait_for_url("**/runs/*")
    assert page.locator("#dataset-drift").inner_text().strip() == "drift"
    # One row per column, its worst test shown; every test of it below, beside its distributions.
    x_row = page.locator("table.results#columns tr[data-column='x']")
    assert "drift" in x_row.inner_text() and x_row.get_attribute("class") == "drifted"
    x_ks = page.locator("details.column[data-column='x'] table.tests tr[data-test='ks']")
    assert "drift" in x_ks.inner_text() and x_ks.get_attribute("class") == "drifted"
    y_row = page.locator("table.results#columns tr[data-column='y']")
    assert "no drift" in y_row.inner_text() and y_row.get_attribute("data-test") in ("ks", "psi")


def test_alerts_page_lists_the_firing_alert(page: Any) -> None:
    page.goto("/alerts")
    firing = page.locator("#alerts tr[data-state='firing']")
    assert firing.count() == 1
    assert "drift" in firing.inner_text()


def test_run_page_shows_data_quality_and_metric_intervals(page: Any) -> None:
    page.goto("/monitors/m")
    page.locator("#runs tbody tr").first.locator("a").click()  # newest first: the last drifted day
    page.wait_for_url("**/runs/*")
    shifted = page.locator("#quality tr[data-check='out_of_range'][data-column='x']")
    assert shifted.get_attribute("data-finding") == "true"
    assert "outside the reference range" in shifted.inner_text() and "finding" in shifted.inner_text()
    # Checks that passed wait in a closed <details>.
    steady = page.locator("#quality tr[data-check='row_count']")
    assert not steady.is_visible()
    page.click("#quality-passed summary")
    assert steady.get_attribute("data-finding") == "false" and "800 rows" in steady.inner_text()
    auc = page.locator(".card.metric[data-metric='roc_auc']")
    assert "95% CI" in auc.inner_text() and "labelled" in auc.inner_text()


def test_older_and_newer_runs_are_a_click_away(page: Any) -> None:
    def shown() -> list[str]:
        rows = page.locator("#runs tbody tr")
        return [rows.nth(i).get_attribute("data-window-start")[:10] for i in range(rows.count())]

    page.goto("/monitors/m?limit=3")
    assert shown() == ["2026-06-04", "2026-06-03", "2026-06-02"]
    assert (
        page.locator("#pager-top a.newer").count() == 0 and page.locator("#pager-top a.newest").count() == 0
    )
    page.click("#pager-bottom a.older")
    page.wait_for_url("**/monitors/m?before=*")
    assert shown() == ["2026-06-01"] and page.locator("#pager-top a.older").count() == 0
    assert "1 of 4 run(s)" in page.locator("#pager-top").inner_text()
    page.click("#pager-top a.newer")
    page.wait_for_url("**/monitors/m?after=*")
    assert shown() == ["2026-06-04", "2026-06-03", "2026-06-02"]
    page.click("#pager-top a.newest")
    page.wait_for_url("**/monitors/m?")
    assert shown() == ["2026-06-04", "2026-06-03", "2026-06-02", "2026-06-01"]
