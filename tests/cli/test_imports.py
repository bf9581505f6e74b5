"""What the `monitor` command imports before it knows which command runs: only the parser. Each
command's module (and with it the database, the config or the drift engine) is imported when that
command runs, so `monitor drift` on two files does not load SQLAlchemy, Alembic or pydantic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["sqlalchemy", "alembic", "pydantic", "monitor.store", "monitor.config", "monitor.drift", "scipy"]


def loaded_after(code: str) -> dict[str, bool]:
    script = f"import sys, json\n{code}\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    loaded: dict[str, bool] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_parsing_the_command_line_imports_none_of_the_heavy_libraries() -> None:
    loaded = loaded_after(
        "from monitor.cli import build_parser\nbuild_parser().parse_args(['drift', 'a', 'b'])"
    )
    assert not any(loaded.values()), loaded


def test_monitor_drift_runs_without_the_database_or_config_libraries(tmp_path: Path) -> None:
    ref, cur, out = tmp_path / "ref.parquet", tmp_path / "cur.parquet", tmp_path / "out.json"
    pd.DataFrame({"x": [0.1 * i for i in range(200)], "c": ["a", "b"] * 100}).to_parquet(ref)
    pd.DataFrame({"x": [0.1 * i + 3 for i in range(200)], "c": ["a", "a"] * 100}).to_parquet(cur)
    loaded = loaded_after(
        "from monitor.cli import main\n"
        f"assert main(['drift', {str(ref)!r}, {str(cur)!r}, '--format', 'json', '-o', {str(out)!r}]) == 0"
    )
    assert loaded["monitor.drift"] and loaded["scipy"]  # the engine did run
    assert not (loaded["sqlalchemy"] or loaded["alembic"] or loaded["pydantic"]), loaded
    assert {r["column"] for r in json.loads(out.read_text())["results"]} == {"x", "c"}


def test_an_error_of_a_command_is_still_reported_plainly(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "drift",
            str(tmp_path / "no.parquet"),
            str(tmp_path / "no.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert "no such file" in done.stderr and "Traceback" not in done.stderr
