"""`monitor report`: one day's self-contained report written by hand, and its errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from monitor import pipeline
from monitor.services.monitors import runs_page
from tests.conftest import DAY0, RuntimeFactory, monitor_config

MONITOR = str(Path(sys.executable).with_name("monitor"))


def test_report_writes_the_day_to_the_file_asked_for(
    sqlite_url: str, monitor_files: Path, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    runtime = make_runtime(monitor_config(sqlite_url))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=10))
    config, out = str(tmp_path / "config.yaml"), tmp_path / "mail" / "m-2026-06-02.html"
    command = [MONITOR, "report", "m", "--config", config, "--date", "2026-06-02", "-o", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote the report of m for 2026-06-02 to {out}"
    html = out.read_text(encoding="utf-8")
    island = re.search(r'id="figure-drift-share">(.*?)</script>', html, re.S)
    assert island is not None
    shares = [r.drift_share for r in runs_page(runtime, "m", limit=10, offset=0).items[:2]]
    assert json.loads(island.group(1))["data"][0]["y"] == shares  # the windows up to the day's end
    assert not (tmp_path / "daily-reports").exists()  # -o: nothing in the reports folder

    default = subprocess.run(command[:-2], capture_output=True, text=True, timeout=120)
    assert default.returncode == 0 and (tmp_path / "daily-reports" / "m" / "2026-06-02.html").is_file()


def test_report_refuses_an_unknown_monitor_or_a_bad_date(
    sqlite_url: str, monitor_files: Path, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    make_runtime(monitor_config(sqlite_url))
    config = str(tmp_path / "config.yaml")
    for args, message in (
        (["nope", "--date", "2026-06-02"], "error: no monitor named 'nope' (known: m)"),
        (["m", "--date", "2026-6-2"], "error: not a day as YYYY-MM-DD: '2026-6-2'"),
        (["m", "--date", "../../x"], "error: not a day as YYYY-MM-DD: '../../x'"),
    ):
        done = subprocess.run(
            [MONITOR, "report", *args[:1], "--config", config, *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert (done.returncode, done.stderr.strip()) == (2, message)
    assert not (tmp_path / "daily-reports").exists()
