"""A non-editable install must carry the templates and migrations that live at the top level; the client
is a distribution of its own (client/), not part of the server's wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build_wheel(project: Path, out: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(project),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("*.whl")
    return wheel


def test_wheel_carries_templates_and_migrations(tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(build_wheel(REPO, tmp_path)).namelist())
    assert "monitor/_reports/templates/base.html" in names
    assert "monitor/_reports/templates/run.html" in names
    assert "monitor/_migrations/env.py" in names
    assert any(n.startswith("monitor/_migrations/versions/0001") for n in names)
    assert "monitor/cli/__init__.py" in names
    assert "monitor/cli/__main__.py" in names  # `python -m monitor.cli`
    assert "monitor/config/__init__.py" in names
    assert "monitor/client.py" not in names  # the client ships in its own distribution, client/


def test_client_wheel_carries_only_monitor_client_and_needs_only_httpx(tmp_path: Path) -> None:
    with zipfile.ZipFile(build_wheel(REPO / "client", tmp_path)) as wheel:
        names = set(wheel.namelist())
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        lines = wheel.read(metadata).decode().splitlines()
    assert {"monitor_client/__init__.py", "monitor_client/client.py", "monitor_client/py.typed"} <= names
    assert {n.split("/")[0] for n in names if not n.startswith("model_monitor_client-")} == {"monitor_client"}
    assert "Name: model-monitor-client" in lines
    assert [line for line in lines if line.startswith("Requires-Dist:")] == ["Requires-Dist: httpx>=0.26"]
