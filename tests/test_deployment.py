"""docker-compose.yml against the CLI and the config it names: every command parses, the scheduler
runs alone beside web workers that do not schedule, and migrations come first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from monitor.cli import build_parser
from monitor.config import load_config

REPO = Path(__file__).resolve().parents[1]


def services() -> dict[str, Any]:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    found: dict[str, Any] = compose["services"]
    return found


def commands(service: dict[str, Any]) -> list[list[str]]:
    """The `monitor ...` commands a service runs (a `sh -c` line may chain several)."""
    command = service["command"]
    lines = command[2].split("&&") if command[:2] == ["sh", "-c"] else [" ".join(command)]
    return [line.split()[1:] for line in lines if line.split()[0] == "monitor"]


def test_every_command_parses_and_names_a_valid_config() -> None:
    parser = build_parser()
    for name, service in services().items():
        if "command" not in service:
            continue
        for argv in commands(service):
            args = parser.parse_args(argv)
            assert args.config, f"{name}: {argv} names no config"
            config = load_config(
                REPO / args.config, env={"MONITOR_DATABASE_URL": "postgresql+psycopg://x@y/z"}
            )
            assert config.monitors, name


def test_one_scheduler_web_without_one_and_migrations_first() -> None:
    found = services()
    verbs = {name: [argv[0] for argv in commands(s)] for name, s in found.items() if "command" in s}
    assert verbs["migrate"][0] == "db" and verbs["scheduler"] == ["schedule"] and verbs["web"] == ["serve"]
    assert "--no-scheduler" in found["web"]["command"]
    for name in ("web", "scheduler"):
        assert found[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert found["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert found["web"]["ports"] == ["127.0.0.1:8000:8000"]  # not open beyond the host unless chosen


def test_served_beyond_the_loopback_with_access_control_on_and_not_as_root() -> None:
    web = services()["web"]
    assert "0.0.0.0" in web["command"] and web["environment"]["MONITOR_AUTH_ENABLED"] == "true"
    env = {k: str(v) for k, v in web["environment"].items() if "${" not in str(v)}
    config = load_config(REPO / "config" / "demo.yaml", env=env)
    assert config.auth.enabled
    assert not load_config(REPO / "config" / "demo.yaml", env={}).auth.enabled  # `make run`: loopback only
    dockerfile = (REPO / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
