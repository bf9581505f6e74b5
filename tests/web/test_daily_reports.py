"""Daily reports served at /reports/{monitor}/{YYYY-MM-DD}.html and listed on the monitor page; any
other name is a 404 page, whatever it tries to reach."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from monitor.pipeline.runtime import Runtime
from monitor.services.daily_report import write_daily_report
from tests.conftest import AUTH_HEADERS


@pytest.fixture
def client(live_server: str, backfilled: Runtime) -> Iterator[httpx.Client]:
    write_daily_report(backfilled, "m", date(2026, 6, 3))
    write_daily_report(backfilled, "m", date(2026, 6, 4))
    with httpx.Client(base_url=live_server, timeout=30, headers=AUTH_HEADERS) as http:
        yield http


def test_a_written_report_is_served_as_it_is_on_disk(client: httpx.Client, monitor_files: Path) -> None:
    response = client.get("/reports/m/2026-06-03.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "'sha256-" in response.headers["content-security-policy"]  # its own inline scripts only
    on_disk = monitor_files / "daily-reports" / "m" / "2026-06-03.html"
    assert response.content == on_disk.read_bytes()


def test_without_a_key_a_report_is_not_served(client: httpx.Client) -> None:
    response = httpx.get(client.base_url.join("/reports/m/2026-06-03.html"), timeout=30)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_monitor_page_lists_the_reports_newest_first(client: httpx.Client) -> None:
    html = client.get("/monitors/m").text
    section = html[html.index('<section id="daily-reports">') :]
    first = section.index('href="/reports/m/2026-06-04.html"')
    assert 0 < first < section.index('href="/reports/m/2026-06-03.html"')


def test_a_missing_day_is_a_404_page_saying_when_reports_are_written(client: httpx.Client) -> None:
    response = client.get("/reports/m/2026-06-05.html")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "no report of &#39;m&#39; for 2026-06-05" in response.text
    assert "once the day has ended" in response.text


REFUSED = [
    "/reports/nope/2026-06-03.html",
    "/reports/m/2026-13-01.html",
    "/reports/m/2026-06-03.HTML",
    "/reports/m/2026-06-03.html.tmp",
    "/reports/m/.2026-06-03.html",
    "/reports/m/2026-06-03",
    "/reports/m/..%2Fm%2F2026-06-03.html",
    "/reports/m/..%2F..%2Fconfig.yaml",
    "/reports/m/%2e%2e%2f%2e%2e%2fconfig.yaml",
    "/reports/..%2Fm/2026-06-03.html",
    "/reports/m/..",
    "/reports/m/2026-06-03.html%00",
    "/reports/m/%2Fetc%2Fpasswd",
]


def test_other_names_are_refused_and_reach_no_file(client: httpx.Client) -> None:
    for path in REFUSED:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), path
        text = response.text
        assert "database" not in text and "root:" not in text and "Plotly" not in text, path
