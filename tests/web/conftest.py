"""A served app over a backfilled monitor: in-process for the API, a real uvicorn server for the browser."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.web.app import create_app
from tests.conftest import DAY0, RuntimeFactory, monitor_config


@pytest.fixture
def backfilled(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(monitor_config(db_url))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=10))
    return runtime


@pytest.fixture
def app(backfilled: Runtime) -> FastAPI:
    return create_app(backfilled)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app on a real socket on 127.0.0.1, as a browser sees it."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
