"""The daily report in real headless Chromium, opened from a file:// path with every network request
aborted: its charts are drawn from what is inside the file, with no console error; names from data
(script tags, quotes, U+202E, 300 characters) are shown as inert text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from monitor import pipeline
from monitor.services.daily_report import write_daily_report
from tests.conftest import AUTH_HEADERS, DAY0, RuntimeFactory, monitor_config
from tests.web.watch import ACTION_TIMEOUT_MS, screenshot_dir

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
QUOTES = 'it\'s "quoted" & <b>bold</b>'
BIDI = "\u202egnp.exe"
LONG = "long_" + "x" * 295  # 300 characters, the longest a column name is stored with
HOSTILE = [SCRIPT, QUOTES, BIDI, LONG]


@dataclass
class Offline:
    """A tab that may read file:// URLs only: anything else is aborted and recorded."""

    tab: Any
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        self.tab.goto(path.as_uri())
        self.open_drawn()

    def open_drawn(self) -> None:
        """Waits until every chart of the page is drawn."""
        self.tab.wait_for_function(
            "() => [...document.querySelectorAll('[data-chart]')].every("
            "e => e.classList.contains('js-plotly-plot'))",
            timeout=ACTION_TIMEOUT_MS,
        )

    def traces(self) -> dict[str, int]:
        counts: dict[str, int] = self.tab.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')]"
            ".map(e => [e.id, (e.data || []).length]))"
        )
        return counts


@pytest.fixture
def offline(browser: Any) -> Iterator[Offline]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    watch = Offline(tab)

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith("file://"):
            request_route.continue_()
        else:
            watch.blocked.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    tab.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))

    def dialog(opened: Any) -> None:
        watch.dialogs.append(opened.message)
        opened.dismiss()

    tab.on("dialog", dialog)
    try:
        yield watch
    finally:
        context.close()


def test_the_report_draws_its_charts_from_disk_with_no_network(
    offline: Offline, db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    runtime = make_runtime(monitor_config(db_url))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=10))
    path = write_daily_report(runtime, "m", date(2026, 6, 4))
    offline.open(path)
    traces = offline.traces()
    assert {"chart-heatmap", "chart-drift-share", "chart-columns", "chart-metric-roc_auc"} <= set(traces)
    assert all(count > 0 for count in traces.values()), traces
    assert offline.tab.locator("#window-count").inner_text() == "1"
    assert offline.tab.locator("details.window[open] tr.drifted td.column").first.inner_text() in (
        "x",
        "colour",
    )
    offline.tab.screenshot(path=str(screenshot_dir() / "daily-report.png"), full_page=True)
    assert (offline.blocked, offline.console_errors, offline.page_errors) == ([], [], [])


def hostile_files(root: Path) -> None:
    rng = np.random.default_rng(5)

    def frame(n: int, shift: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                SCRIPT: rng.normal(shift, 1.0, n),
                QUOTES: rng.choice(
                    [SCRIPT, QUOTES, BIDI], n, p=[0.6, 0.2, 0.2] if shift else [0.2, 0.4, 0.4]
                ),
                BIDI: rng.normal(0.0, 1.0, n),
                LONG: rng.normal(shift, 1.0, n),
            }
        )

    frame(2000, 0.0).to_parquet(root / "reference.parquet")
    days = []
    for day in range(2):
        rows = frame(500, 1.0 * day)
        rows.insert(0, "timestamp", DAY0 + timedelta(days=day) + pd.to_timedelta(np.arange(500) * 170, "s"))
        rows["prediction"] = rng.choice([SCRIPT, BIDI], 500)
        days.append(rows)
    log = pd.concat(days, ignore_index=True)
    log.insert(0, "prediction_id", [f"p{i}" for i in range(len(log))])
    log.to_parquet(root / "predictions.parquet")


def test_hostile_names_are_inert_text_in_the_report(
    offline: Offline, sqlite_url: str, tmp_path: Path, make_runtime: RuntimeFactory
) -> None:
    hostile_files(tmp_path)
    config = monitor_config(sqlite_url)
    spec = config["monitors"]["m"]
    del spec["labels"]
    spec["schema"] = {"features": HOSTILE, "score_column": None}
    spec["alerts"][0]["labels"] = {"note": SCRIPT}
    runtime = make_runtime(config)
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=2), now=DAY0 + timedelta(days=3))
    path = write_daily_report(runtime, "m", date(2026, 6, 2))
    offline.open(path)
    assert all(count > 0 for count in offline.traces().values())
    cells = offline.tab.locator("details.window td.column").all_inner_texts()
    assert {SCRIPT, QUOTES, "⟨U+202E⟩gnp.exe", LONG} <= set(cells)
    # chart labels: the heatmap's rows, as plotly drew them (escaped for plotly, shortened to 40)
    drawn = offline.tab.locator("#chart-heatmap .ytick text").all_text_contents()
    assert SCRIPT in drawn and "⟨U+202E⟩gnp.exe" in drawn and any(t.startswith("long_xxx") for t in drawn)
    assert offline.tab.evaluate("() => document.querySelectorAll('script:not([type])').length") == 2
    assert offline.tab.evaluate("() => document.querySelectorAll('b').length") == 0
    assert "\u202e" not in offline.tab.locator("body").inner_text()
    offline.tab.screenshot(path=str(screenshot_dir() / "daily-report-hostile.png"), full_page=True)
    assert (offline.dialogs, offline.blocked, offline.console_errors, offline.page_errors) == ([], [], [], [])


def test_the_served_report_draws_under_the_services_content_policy(
    browser: Any, live_server: str, backfilled: Any
) -> None:
    write_daily_report(backfilled, "m", date(2026, 6, 4))
    context = browser.new_context(extra_http_headers=AUTH_HEADERS)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        tab.goto(f"{live_server}/reports/m/2026-06-04.html")
        Offline(tab).open_drawn()
        assert tab.locator(".js-plotly-plot").count() >= 4 and errors == []
    finally:
        context.close()
