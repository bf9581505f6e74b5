"""A real MLflow tracking server for tests: `mlflow server` from its own venv (.venv-mlflow, which
`make test` builds from tests/mlflow-requirements.txt; MONITOR_TEST_MLFLOW names another binary), on a
free port of 127.0.0.1 with a SQLite store, and a small REST client to arrange and read the registry as
a test needs. The product never imports mlflow: it calls the same REST API (monitor/notify/registry.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.servers import free_port

REPO = Path(__file__).resolve().parents[1]
MLFLOW_BINARY = Path(os.environ.get("MONITOR_TEST_MLFLOW", REPO / ".venv-mlflow" / "bin" / "mlflow"))
STARTUP_SECONDS = 90  # a first start creates the database (seconds); a loaded CI machine is slower


class MlflowUnavailable(RuntimeError):
    """The server could not be started here; the message says why."""


class MlflowServer:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log
        self.api = httpx.Client(base_url=url + "/api/2.0/mlflow/", timeout=30)

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.api.request(method, path, **kwargs)
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found

    def create_model(self, name: str, versions: int) -> None:
        """A registered model with versions 1..`versions`."""
        self.call("POST", "registered-models/create", json={"name": name})
        for number in range(1, versions + 1):
            made = self.call(
                "POST", "model-versions/create", json={"name": name, "source": f"s3://models/{name}/{number}"}
            )
            assert made["model_version"]["version"] == str(number)

    def set_alias(self, name: str, alias: str, version: int | str) -> None:
        self.call(
            "POST", "registered-models/alias", json={"name": name, "alias": alias, "version": str(version)}
        )

    def aliases(self, name: str) -> dict[str, str]:
        model = self.call("GET", "registered-models/get", params={"name": name})["registered_model"]
        return {a["alias"]: a["version"] for a in model.get("aliases", [])}

    def tags(self, name: str) -> dict[str, str]:
        model = self.call("GET", "registered-models/get", params={"name": name})["registered_model"]
        return {t["key"]: t["value"] for t in model.get("tags", [])}

    def set_tag(self, name: str, key: str, value: str) -> None:
        self.call("POST", "registered-models/set-tag", json={"name": name, "key": key, "value": value})


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise MlflowUnavailable(f"mlflow server exited ({process.returncode}): {_tail(log)}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise MlflowUnavailable(f"mlflow server did not answer within {STARTUP_SECONDS}s: {_tail(log)}")


def _tail(log: Path) -> str:
    return " | ".join(log.read_text(errors="replace").splitlines()[-5:]) if log.exists() else "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ends the server and the workers it started: the process group it leads (started for this test)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@contextmanager
def mlflow_server(directory: Path) -> Iterator[MlflowServer]:
    """`mlflow server` on a free port with its store in `directory`, until the block ends."""
    if not MLFLOW_BINARY.exists():
        raise MlflowUnavailable(f"{MLFLOW_BINARY} is missing (`make test` installs it into .venv-mlflow)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = directory / "mlflow.log"
    command = [
        str(MLFLOW_BINARY),
        "server",
        "--backend-store-uri",
        f"sqlite:///{directory / 'mlflow.db'}",
        "--default-artifact-root",
        (directory / "artifacts").as_uri(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # No telemetry (no network here), and no job runner: its worker processes are not needed for a registry.
    env.update(
        MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false"
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, cwd=directory, env=env, start_new_session=True
        )
    try:
        _wait_until_up(url, process, log)
        server = MlflowServer(url, process, log)
        try:
            yield server
        finally:
            server.api.close()
    finally:
        _stop(process)
