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


CHART_TRACES = "Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => p.data.length)"


def column_order(page: Any) -> list[str]:
    rows = page.locator("#columns tbody tr:not([hidden])")
    return [rows.nth(i).get_attribute("data-column") for i in range(rows.count())]


def test_run_page_columns_sort_filter_and_draw_their_distributions(page: Any) -> None:
    page.goto("/monitors/m")
    page.locator("#runs tbody tr").first.locator("a").click()  # the last drifted day: x and colour
    page.wait_for_url("**/runs/*")
    # Drifted columns first, their distributions open and drawn (reference and current bars).
    assert column_order(page)[2] == "y" and set(column_order(page)[:2]) == {"x", "colour"}
    # Waits on locators: the pages' CSP forbids the eval a string predicate would need.
    page.locator(".js-plotly-plot").nth(1).wait_for(timeout=20_000)
    assert page.evaluate(CHART_TRACES) == [2, 2]
    page.click("details.column[data-column='y'] summary")  # y is drawn when opened
    page.locator(".js-plotly-plot").nth(2).wait_for(timeout=20_000)
    assert page.evaluate(CHART_TRACES) == [2, 2, 2]
    page.click("#columns th:has-text('Column')")
    assert column_order(page) == ["colour", "x", "y"]
    page.click("#columns th:has-text('Column')")
    assert column_order(page) == ["y", "x", "colour"]
    page.click("#columns th:has-text('Statistic')")  # numbers sort as numbers
    values = page.locator("#columns tbody tr td:nth-child(4)").evaluate_all(
        "cells => cells.map(c => parseFloat(c.getAttribute('data-value')))"
    )
    assert values == sorted(values) and len(values) == 3
    page.fill("#columns-filter", "COL")
    assert (
        column_order(page) == ["colour"] and page.inner_text("[data-count-for='columns']") == "1 of 3 shown"
    )
    page.fill("#columns-filter", "")
    page.check("#columns-drifted-only")
    assert sorted(column_order(page)) == ["colour", "x"]
    assert page.get_attribute("#run-json", "href") == f"/api/v1/runs/{page.url.rsplit('/', 1)[1]}"
    assert "trigger backfill" in page.inner_text("#run-computed")
    alerts = page.locator("#run-alerts tr[data-event]")
    assert "fired" in [alerts.nth(i).get_attribute("data-event") for i in range(alerts.count())]
    assert page.locator("#run-notifications tr[data-status='delivered']").count() == 1


HEATMAP_X = "() => document.getElementById('chart-heatmap').data[0].x.length"


def test_the_monitor_page_time_range_and_heatmap_links_work(page: Any) -> None:
    page.goto("/monitors/m")
    page.locator("#chart-heatmap.js-plotly-plot").wait_for()
    assert page.evaluate(HEATMAP_X) == 4  # the four backfilled windows
    metric_charts = page.locator("[id^='chart-metric-'].js-plotly-plot")
    assert metric_charts.count() >= 1
    # a custom range of one day, from the form
    page.fill("#range input[name=from]", "2026-06-03")
    page.fill("#range input[name=to]", "2026-06-03")
    page.click("#range button[type=submit]")
    page.wait_for_url("**from=2026-06-03**")
    page.locator("#chart-heatmap.js-plotly-plot").wait_for()
    assert page.evaluate(HEATMAP_X) == 1
    assert "1 window(s)" in page.locator("#range-summary").inner_text()
    # the neighbouring range, one link away
    page.click("#earlier")
    page.locator("#chart-heatmap.js-plotly-plot").wait_for()
    assert page.evaluate(HEATMAP_X) == 1 and "from 2026-06-02" in page.locator("#range-summary").inner_text()
    # a preset, and a click on a heatmap cell opens that window's run
    page.click("#range a.preset:text('all')")
    page.locator("#chart-heatmap.js-plotly-plot").wait_for()
    assert page.evaluate(HEATMAP_X) == 4
    cell = page.locator("#chart-heatmap .nsewdrag").first
    box = cell.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 7 / 8, box["y"] + box["height"] / 10)
    page.wait_for_url("**/runs/*")
