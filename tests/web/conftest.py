"""A served app over a backfilled monitor, on a real uvicorn server for the API client and the browser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.web.app import create_app
from tests.conftest import DAY0, RuntimeFactory, monitor_config
from tests.servers import LiveServer, serving


@pytest.fixture
def backfilled(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(monitor_config(db_url))
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=10))
    return runtime


@pytest.fixture
def app(backfilled: Runtime) -> FastAPI:
    return create_app(backfilled)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app on a real socket on 127.0.0.1, as a browser sees it."""
    with serving(app) as server:
        yield server.url


@pytest.fixture
def bare_runtime(sqlite_url: str, monitor_files: Path, make_runtime: RuntimeFactory) -> Runtime:
    """The monitor "m" on SQLite with no run computed yet: for what needs the app but not its data."""
    return make_runtime(monitor_config(sqlite_url))


@pytest.fixture
def bare_server(bare_runtime: Runtime) -> Iterator[LiveServer]:
    with serving(create_app(bare_runtime)) as server:
        yield server
