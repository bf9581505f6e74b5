"""The daily drift report: one self-contained file per monitor and day, its data read back against the
stored results; which days are due, catching up, pruning; the scheduler's job surviving a failure."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from monitor import pipeline, scheduler
from monitor.pipeline.runtime import Runtime
from monitor.services.daily_report import write_daily_report, write_due_reports
from monitor.services.monitors import run_detail, runs_page
from monitor.services.report_files import available_reports, due_days, monitor_folder, report_path
from tests.conftest import DAY0, RuntimeFactory, monitor_config

DAY = timedelta(days=1)
PUBLIC = "https://monitor.example.com"
WRITTEN_AT = DAY0 + 5 * DAY + timedelta(hours=3)  # every day of the backfill is complete


def report_config(db_url: str, **reports: Any) -> dict[str, Any]:
    config = monitor_config(db_url)
    config["server"] = {"public_url": PUBLIC}
    config["reports"] = {"directory": "out/reports", **reports}
    return config


@pytest.fixture
def backfilled(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(report_config(db_url), clock=lambda: WRITTEN_AT)
    pipeline.backfill(runtime, "m", DAY0, DAY0 + 4 * DAY, now=DAY0 + 10 * DAY)
    return runtime


def islands(html: str) -> dict[str, Any]:
    """Each chart's figure, by its id, from the JSON islands of the file."""
    found = re.findall(r'<script type="application/json" id="figure-([^"]+)">(.*?)</script>', html, re.S)
    return {name: json.loads(text) for name, text in found}


def markup(html: str) -> str:
    """The document less the contents of its script elements (the inlined libraries hold URLs in
    strings they never load)."""
    return re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", html, flags=re.S)


def test_the_report_is_one_file_that_loads_nothing(backfilled: Runtime, monitor_files: Path) -> None:
    path = write_daily_report(backfilled, "m", date(2026, 6, 3))
    assert path == monitor_files / "out" / "reports" / "m" / "2026-06-03.html"
    html = path.read_text(encoding="utf-8")
    outside = markup(html)
    assert re.findall(r"<script[^>]*\ssrc=", outside) == [] and '<link rel="stylesheet"' not in outside
    assert re.findall(r'src="http', outside) == []
    links = re.findall(r'href="([^"]*)"', outside)
    assert links and all(link.startswith(PUBLIC + "/") or link == "data:," for link in links), links
    assert outside.count("<script>") == 2  # plotly.js and charts.js, inline
    assert "Plotly" in html and html.count("</script>") == outside.count("</script>")


def test_the_charts_and_tables_hold_the_stored_results(backfilled: Runtime) -> None:
    path = write_daily_report(backfilled, "m", date(2026, 6, 3))
    html = path.read_text(encoding="utf-8")
    figures = islands(html)
    runs = runs_page(backfilled, "m", limit=10, offset=0).items[:3]  # up to the end of 2026-06-03
    assert figures["drift-share"]["data"][0]["y"] == [r.drift_share for r in runs]
    assert figures["heatmap"]["link"] == f"{PUBLIC}/runs/"
    detail = run_detail(backfilled, runs[2].id)
    assert detail is not None
    x_ks = next(r for r in detail.drift_results if (r.column, r.test) == ("x", "ks"))
    assert x_ks.drifted  # x shifts from day 2 on
    row = re.search(r'<tr class="drifted" data-test="ks"><td class="column">x</td>.*?</tr>', html, re.S)
    assert row is not None and f"{x_ks.statistic:.4f}" in row.group(0)
    assert f'href="{PUBLIC}/runs/{runs[2].id}"' in html
    # `for: 2`: the drift alert is pending after day 2's window, fires after day 3's
    assert re.findall(r'<tr data-event="(\w+)">', html) == ["pending"]
    day4 = write_daily_report(backfilled, "m", date(2026, 6, 4)).read_text(encoding="utf-8")
    assert re.findall(r'<tr data-event="(\w+)">', day4) == ["fired"]


def test_a_day_without_windows_still_has_a_report_saying_so(backfilled: Runtime) -> None:
    html = write_daily_report(backfilled, "m", date(2026, 6, 11)).read_text(encoding="utf-8")
    assert "No window of this monitor started on 2026-06-11" in html
    assert '<div class="value" id="window-count">0</div>' in html


def test_writing_a_day_again_replaces_its_file_and_leaves_nothing_else(backfilled: Runtime) -> None:
    first = write_daily_report(backfilled, "m", date(2026, 6, 2)).read_bytes()
    path = write_daily_report(backfilled, "m", date(2026, 6, 2))
    assert path.read_bytes() == first  # same data, same clock: the same file
    assert sorted(p.name for p in path.parent.iterdir()) == ["2026-06-02.html"]


def test_due_days_run_from_the_first_window_to_the_last_complete_day(backfilled: Runtime) -> None:
    config = backfilled.config
    # schedule.delay 5m + reports.delay 1h after the day's end
    assert due_days(config, "m", first_window=DAY0, now=DAY0 + 4 * DAY + timedelta(minutes=64)) == [
        date(2026, 6, 1),
        date(2026, 6, 2),
        date(2026, 6, 3),
    ]
    assert due_days(config, "m", first_window=DAY0, now=DAY0 + 4 * DAY + timedelta(minutes=65))[-1] == date(
        2026, 6, 4
    )
    assert due_days(config, "m", first_window=None, now=DAY0 + 40 * DAY) == []
    # never further back than keep_days (30)
    late = due_days(config, "m", first_window=DAY0, now=DAY0 + 100 * DAY + timedelta(hours=3))
    assert (late[0], late[-1], len(late)) == (date(2026, 8, 10), date(2026, 9, 8), 30)


def test_the_job_catches_up_once_then_prunes_old_days(backfilled: Runtime) -> None:
    done = write_due_reports(backfilled)  # at WRITTEN_AT: days 2026-06-01 .. 2026-06-05
    assert [p.name for p in done.written] == [f"2026-06-0{d}.html" for d in range(1, 6)]
    assert write_due_reports(backfilled).written == []  # written once
    assert available_reports(backfilled.config, "m")[0] == date(2026, 6, 5)
    backfilled.clock = lambda: datetime(2026, 7, 3, 3, tzinfo=DAY0.tzinfo)  # keep 30 days: from 06-03
    later = write_due_reports(backfilled)
    assert later.removed == 2 and not report_path(backfilled.config, "m", date(2026, 6, 2)).exists()
    assert available_reports(backfilled.config, "m")[-1] == date(2026, 6, 3)


def test_the_scheduler_job_survives_a_report_that_cannot_be_written(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    (monitor_files / "blocked").write_text("a file where the reports folder should be")
    runtime = make_runtime(report_config(db_url, directory="blocked"), clock=lambda: WRITTEN_AT)
    pipeline.backfill(runtime, "m", DAY0, DAY0 + DAY, now=DAY0 + 10 * DAY)
    scheduler.daily_reports(runtime)  # logs, does not raise
    done = write_due_reports(runtime)
    assert done.written == [] and "m" in done.failed


def test_reports_off_write_nothing(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(report_config(db_url, enabled=False), clock=lambda: WRITTEN_AT)
    pipeline.backfill(runtime, "m", DAY0, DAY0 + DAY, now=DAY0 + 10 * DAY)
    assert write_due_reports(runtime).written == []
    jobs = {job.id for job in scheduler.build_scheduler(runtime).get_jobs()}
    assert "daily-reports" not in jobs and "retention" in jobs


@pytest.fixture
def estimated(sqlite_url: str, tmp_path: Path, make_runtime: RuntimeFactory) -> Runtime:
    """A classifier with calibrated scores and `estimation:` on, three days backfilled; labels come a
    day late, so by the report's writing every day has its realised value beside its estimate."""
    rng = np.random.default_rng(3)

    def rows(n: int, centre: float) -> pd.DataFrame:
        x = rng.normal(centre, 1.0, n)
        score = 1 / (1 + np.exp(-2 * x))
        label = (rng.random(n) < score).astype(int)
        return pd.DataFrame(
            {"x": x, "score": score, "prediction": (score >= 0.5).astype(int), "label": label}
        )

    rows(3000, 0.8).to_parquet(tmp_path / "reference.parquet", index=False)
    days = [rows(600, 1.5 - 0.5 * day) for day in range(3)]
    for day, frame in enumerate(days):
        seconds = np.linspace(0, 86_399, len(frame))
        frame.insert(0, "timestamp", pd.Timestamp(DAY0 + day * DAY) + pd.to_timedelta(seconds, "s"))
    log = pd.concat(days, ignore_index=True)
    log.insert(0, "prediction_id", [f"p{i}" for i in range(len(log))])
    log[["prediction_id", "label"]].assign(labelled_at=log["timestamp"] + DAY).to_parquet(
        tmp_path / "labels.parquet", index=False
    )
    log.drop(columns="label").to_parquet(tmp_path / "predictions.parquet", index=False)
    config = report_config(sqlite_url)
    config["monitors"]["m"].update(
        schema={"features": ["x"]}, metrics=["accuracy", "roc_auc"], estimation={}, alerts=[]
    )
    runtime = make_runtime(config, clock=lambda: WRITTEN_AT)
    pipeline.backfill(runtime, "m", DAY0, DAY0 + 3 * DAY, now=DAY0 + 10 * DAY)
    return runtime


def test_the_report_charts_the_stored_estimates_beside_the_realised_values(estimated: Runtime) -> None:
    html = write_daily_report(estimated, "m", date(2026, 6, 3)).read_text(encoding="utf-8")
    figures = islands(html)
    details = [run_detail(estimated, r.id) for r in runs_page(estimated, "m", limit=10, offset=0).items]
    log = pd.read_parquet(estimated.config.resolve_path("predictions.parquet"))
    for metric in ("accuracy", "roc_auc"):
        stored = [
            next(e for e in d.estimated_metrics if (e.segment, e.metric) == ("", metric))
            for d in details
            if d
        ]
        upper, lower, estimate, realised = figures[f"estimate-{metric}"]["data"]
        assert estimate["name"] == "estimated" and realised["name"] == "realised"
        assert estimate["y"] == [e.value for e in stored] and len(stored) == 3
        assert (lower["y"], upper["y"]) == ([e.lower for e in stored], [e.upper for e in stored])
        assert realised["y"] == [e.realised for e in stored]
        errors = figures[f"estimate-error-{metric}"]["data"][0]["y"]
        assert errors == pytest.approx([(e.realised or 0) - (e.value or 0) for e in stored], abs=1e-12)
    # The estimate itself, by hand: the scores are calibrated, so each row is right with
    # probability score (predicted positive) or 1 - score.
    days = (log["timestamp"] - pd.Timestamp(DAY0)).dt.days
    expected = [
        np.mean(np.where(g["prediction"] == 1, g["score"], 1 - g["score"])) for _, g in log.groupby(days)
    ]
    assert figures["estimate-accuracy"]["data"][2]["y"] == pytest.approx(expected, abs=1e-9)


def test_a_monitor_name_that_is_no_plain_file_name_gets_a_folder_of_its_own() -> None:
    assert monitor_folder("credit-default_v3.1") == "credit-default_v3.1"
    for name in ("..", "a/b", "../../etc", ".hidden", "<script>", "x" * 300):
        folder = monitor_folder(name)
        assert re.fullmatch(r"monitor-[0-9a-f]{24}", folder), name
    assert monitor_folder("a/b") != monitor_folder("a\\b")
