"""A non-editable install must carry the templates and migrations that live at the top level."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_carries_templates_and_migrations(tmp_path: Path) -> None:
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
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "monitor/_reports/templates/base.html" in names
    assert "monitor/_reports/templates/run.html" in names
    assert "monitor/_migrations/env.py" in names
    assert any(n.startswith("monitor/_migrations/versions/0001") for n in names)
    assert "monitor/cli/__init__.py" in names
    assert "monitor/cli/__main__.py" in names  # `python -m monitor.cli`
    assert "monitor/config/__init__.py" in names
