from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scipy.stats import chi2_contingency, ks_2samp

from monitor.cli import main
from tests.conftest import DAY0, monitor_config


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    # Whole-number floats with few values would be judged categorical; halves keep "a" numerical.
    ref = pd.DataFrame({"a": [1.5, 2.5, 3.5, 4.5, 5.5, 6.5] * 20, "c": ["x", "y", "y"] * 40})
    cur = pd.DataFrame({"a": [3.5, 4.5, 5.5, 6.5, 7.5, 8.5] * 20, "c": ["x", "x", "z"] * 40})
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_parquet(tmp_path / "cur.parquet")
    return tmp_path / "ref.csv", tmp_path / "cur.parquet"


def test_drift_json_follows_the_contract(
    two_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ref, cur = two_files
    assert main(["drift", str(ref), str(cur), "--format", "json", "--tests", "ks,chi2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["reference_rows"], out["current_rows"]) == (120, 120)
    by_test = {(r["column"], r["test"]): r for r in out["results"]}
    assert set(by_test) == {("a", "ks"), ("c", "chi2")}
    ks = ks_2samp([1.5, 2.5, 3.5, 4.5, 5.5, 6.5] * 20, [3.5, 4.5, 5.5, 6.5, 7.5, 8.5] * 20)
    assert by_test["a", "ks"]["statistic"] == pytest.approx(ks.statistic, abs=1e-9)
    assert by_test["a", "ks"]["p_value"] == pytest.approx(ks.pvalue, abs=1e-9)
    # Categories x, y, z: reference 40/80/0, current 80/0/40 (z is new in current and counts).
    chi = chi2_contingency([[40, 80, 0], [80, 0, 40]], correction=False)
    assert by_test["c", "chi2"]["statistic"] == pytest.approx(chi.statistic, abs=1e-9)
    assert by_test["c", "chi2"]["p_value"] == pytest.approx(chi.pvalue, abs=1e-9)
    assert by_test["c", "chi2"]["status"] == "ok" and by_test["c", "chi2"]["drifted"] is True
    assert out["drift_share"] == 1.0 and out["dataset_drifted"] is True


def test_drift_unknown_column_is_an_error(
    two_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ref, cur = two_files
    assert main(["drift", str(ref), str(cur), "--columns", "a,nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_drift_table_and_html_to_a_file(two_files: tuple[Path, Path], tmp_path: Path) -> None:
    ref, cur = two_files
    assert main(["drift", str(ref), str(cur), "--format", "html", "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "<style>" in html and "http" not in html.split("<body>")[1].split("</body>")[0]
    assert main(["drift", str(ref), str(cur), "-o", str(tmp_path / "r.txt")]) == 0
    assert "dataset: DRIFTED" in (tmp_path / "r.txt").read_text()


def test_config_validate_reports_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = monitor_config("sqlite:///x.db")
    data["monitors"]["m"]["alerts"][0]["for"] = "twice"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["config", "validate", str(path)]) == 2
    assert "monitors.m.alerts[0].for:" in capsys.readouterr().err


def test_run_prints_a_summary_and_exits_zero(
    monitor_files: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = monitor_files / "config.yaml"
    path.write_text(yaml.safe_dump(monitor_config(sqlite_url)))
    end = (DAY0 + timedelta(days=3)).isoformat()
    assert main(["run", "m", "--config", str(path), "--window-end", end]) == 0
    out = capsys.readouterr().out
    assert "succeeded" in out and "drifted columns: x, colour" in out


def test_run_that_cannot_read_its_source_exits_non_zero(
    monitor_files: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = monitor_config(sqlite_url)
    data["monitors"]["m"]["source"]["path"] = "missing/*.parquet"
    path = monitor_files / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["run", "m", "--config", str(path), "--window-end", DAY0.isoformat()]) == 1
    assert "no file matches" in capsys.readouterr().out


def test_console_script_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    for command in ("serve", "run", "backfill", "drift", "db", "config", "demo"):
        assert command in result.stdout


def test_run_refuses_a_window_that_has_not_closed(
    monitor_files: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = monitor_files / "config.yaml"
    path.write_text(yaml.safe_dump(monitor_config(sqlite_url)))
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert main(["run", "m", "--config", str(path), "--window-end", tomorrow]) == 2
    assert "has not closed yet" in capsys.readouterr().err


def test_unreachable_database_is_a_message_not_a_traceback(
    monitor_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = monitor_files / "config.yaml"
    path.write_text(yaml.safe_dump(monitor_config("postgresql+psycopg://u:s3cr3t@127.0.0.1:1/x")))
    assert main(["run", "m", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach the database") and "Traceback" not in err
    assert "s3cr3t" not in err
