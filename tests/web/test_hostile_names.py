"""Names from data that try to be markup or to reorder text: a monitor over files whose columns and
categories are script tags, quotes, U+202E and 300-character names, backfilled, then its run page and
the alerts page in headless Chromium: no dialog opens, no element or script comes from data, and the
names show as the literal text (bidi controls as visible code points)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from monitor import pipeline
from monitor.services.monitors import runs_page
from monitor.web.app import create_app
from tests.conftest import AUTH_HEADERS, DAY0, RuntimeFactory
from tests.servers import serving
from tests.web.watch import ACTION_TIMEOUT_MS, PageWatch

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
QUOTES = "q\"uo'te`s"
BIDI = "abc\u202edef"
LONG = "L" * 299 + "!"
IMG = "<img src=x onerror=alert(2)>"
CATEGORIES = [IMG, "\u202eevil", "&amp;", "M" * 300]
ROWS = 600


def _frame(rng: np.random.Generator, n: int, *, drifted: bool) -> pd.DataFrame:
    shares = [0.1, 0.1, 0.1, 0.7] if drifted else [0.4, 0.3, 0.2, 0.1]
    return pd.DataFrame(
        {
            SCRIPT: rng.choice(CATEGORIES, n, p=shares),
            QUOTES: rng.normal(2.0 if drifted else 0.0, 1.0, n),
            BIDI: rng.normal(1.0 if drifted else 0.0, 1.0, n),
            LONG: rng.normal(3.0 if drifted else 0.0, 1.0, n),
        }
    )


def write_files(root: Path) -> None:
    rng = np.random.default_rng(5)
    _frame(rng, 2000, drifted=False).to_parquet(root / "reference.parquet")
    days = []
    for day in range(4):
        frame = _frame(rng, ROWS, drifted=day >= 2)
        moments = DAY0 + timedelta(days=day) + pd.to_timedelta(np.linspace(0, 86399, ROWS), "s")
        frame.insert(0, "timestamp", moments)
        days.append(frame)
    pd.concat(days, ignore_index=True).to_parquet(root / "predictions.parquet")


@pytest.fixture
def hostile_server(
    sqlite_url: str, tmp_path: Path, make_runtime: RuntimeFactory
) -> Iterator[tuple[str, int]]:
    write_files(tmp_path)
    rule = {"name": "column", "signal": "column_drift", "notify": ["log"]}
    config = {
        "database": {"url": sqlite_url},
        "notifiers": {"log": {"type": "log"}},
        "monitors": {
            "m": {
                "model": "toy",
                "source": {"type": "files", "path": "predictions.parquet"},
                "reference": {"type": "files", "path": "reference.parquet"},
                "schema": {"features": [SCRIPT, QUOTES, BIDI, LONG]},
                "alerts": [rule],
            }
        },
    }
    runtime = make_runtime(config)
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=10))
    newest = runs_page(runtime, "m", limit=10, offset=0).items[-1]
    assert newest.dataset_drifted, newest
    with serving(create_app(runtime)) as server:
        yield server.url, newest.id


OUR_SCRIPTS = (
    "Array.from(document.querySelectorAll('script')).map(s => s.src ? new URL(s.src).pathname : s.type)"
)
FROM_DATA = "document.querySelectorAll('img, iframe, object, embed, [onerror], [onload]').length"


def open_page(browser: Any, origin: str, path: str) -> tuple[Any, Any, PageWatch, list[str]]:
    context = browser.new_context(
        base_url=origin, viewport={"width": 1280, "height": 900}, extra_http_headers=AUTH_HEADERS
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(origin)
    watch.attach(context, page)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path, wait_until="load")
    return context, page, watch, dialogs


def hover_text(page: Any, chart: Any, bar: int) -> str:
    path = chart.locator(".js-plotly-plot .bars path").nth(bar)
    path.scroll_into_view_if_needed()
    box = path.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    hover = chart.locator(".hoverlayer .hovertext")
    hover.first.wait_for()
    return hover.first.text_content() or ""


def assert_inert(page: Any, watch: PageWatch, dialogs: list[str], scripts: set[str]) -> None:
    assert dialogs == []
    assert page.evaluate(FROM_DATA) == 0
    found = page.evaluate(OUR_SCRIPTS)
    assert {s for s in found if s != "application/json"} == scripts
    assert watch.problems() == []


def test_the_run_page_shows_hostile_names_as_text(browser: Any, hostile_server: tuple[str, int]) -> None:
    origin, run_id = hostile_server
    context, page, watch, dialogs = open_page(browser, origin, f"/runs/{run_id}")
    try:
        page.locator("#distributions .js-plotly-plot").nth(1).wait_for()  # CSP: no string predicates
        names = page.locator("#columns td.name a").all_inner_texts()
        assert sorted(names) == sorted([SCRIPT, QUOTES, "abc⟨U+202E⟩def", LONG])
        assert page.locator("#columns tr").filter(has_text=LONG).first.is_visible()
        # The categorical column's chart: its ticks and hover text are the literal names, shortened.
        script_col = page.locator("details.column", has=page.locator("summary", has_text=SCRIPT))
        ticks = script_col.locator(".xtick text").all_text_contents()
        assert IMG[:23] + "…" in ticks and "⟨U+202E⟩evil" in ticks and "&amp;" in ticks
        # Each category's reference bar (categories in sorted order), hovered as a reader's mouse would.
        assert hover_text(page, script_col, 0).startswith("&amp;reference:")  # no entity decoded
        assert hover_text(page, script_col, 1).startswith(IMG + "reference:")  # the tag as text
        page.fill("#columns-filter", "<script>")
        assert page.locator("#columns tbody tr:not([hidden])").all_inner_texts()[0].startswith(SCRIPT)
        assert_inert(
            page, watch, dialogs, {"/static/plotly.min.js", "/static/charts.js", "/static/tables.js"}
        )
    finally:
        context.close()


def test_the_alerts_page_shows_hostile_labels_as_text(browser: Any, hostile_server: tuple[str, int]) -> None:
    origin, _ = hostile_server
    context, page, watch, dialogs = open_page(browser, origin, "/alerts")
    try:
        page.locator("#alert-timeline .js-plotly-plot").wait_for()
        labels = page.locator("#alerts tr[data-state='firing'] td.name").all_inner_texts()
        assert any(f"column={SCRIPT}" in text for text in labels)
        assert any("column=abc⟨U+202E⟩def" in text for text in labels)
        assert any(f"column={LONG}" in text for text in labels)
        assert any(f"column={QUOTES}" in text for text in labels)
        ticks = page.locator("#alert-timeline .ytick text").all_text_contents()
        assert any(t.startswith("m · column column=<script>alert(1)</script>") for t in ticks)
        assert_inert(page, watch, dialogs, {"/static/plotly.min.js", "/static/charts.js"})
    finally:
        context.close()


def test_the_monitor_page_and_dashboard_show_hostile_names_as_text(
    browser: Any, hostile_server: tuple[str, int]
) -> None:
    origin, _ = hostile_server
    context, page, watch, dialogs = open_page(browser, origin, "/monitors/m")
    try:
        heatmap = page.locator("#chart-heatmap")
        page.locator("#chart-heatmap.js-plotly-plot").wait_for()  # plotly marks the element it drew in
        ticks = heatmap.locator(".ytick text").all_text_contents()
        # the heatmap's column labels: literal, shortened to 40 characters, bidi controls visible
        assert SCRIPT in ticks and QUOTES in ticks and "abc⟨U+202E⟩def" in ticks
        assert LONG[:39] + "…" in ticks
        lines = page.locator("#chart-columns .legendtext").all_text_contents()
        assert SCRIPT in lines
        assert_inert(page, watch, dialogs, {"/static/plotly.min.js", "/static/charts.js"})
        page.goto("/", wait_until="load")
        assert page.locator("#monitors tr[data-monitor='m']").count() == 1
        assert dialogs == [] and page.evaluate(FROM_DATA) == 0
    finally:
        context.close()
