"""`monitor apikey`: a key created from the command line works once, shows in the list, and stops
working when revoked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from monitor.services import access
from tests.conftest import RuntimeFactory, monitor_config

MONITOR = str(Path(sys.executable).with_name("monitor"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MONITOR, "apikey", *args], capture_output=True, text=True, timeout=120)


def test_create_list_and_revoke_from_the_command_line(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    runtime = make_runtime(monitor_config(db_url))
    config = str(tmp_path / "config.yaml")
    created = run(
        "create",
        "--name",
        "etl",
        "--scope",
        "ingest",
        "--monitor",
        "m",
        "--expires",
        "90d",
        "--config",
        config,
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert "created ingest key 'etl' for toy" in created.stdout and token.startswith("mm_")
    who = access.authenticate(runtime, token)
    assert who is not None and (who.name, who.scope, who.models) == ("etl", "ingest", ("toy",))
    assert run("create", "--name", "etl", "--scope", "read", "--config", config).returncode != 0  # taken
    refused = run("create", "--name", "x", "--scope", "read", "--model", "toy", "--config", config)
    assert refused.returncode != 0 and "models limit ingest keys only" in refused.stderr
    listed = run("list", "--config", config).stdout
    assert "etl" in listed and "active" in listed and token not in listed
    assert run("revoke", "etl", "--config", config).returncode == 0
    assert access.authenticate(runtime, token) is None
    assert "revoked" in run("list", "--config", config).stdout
