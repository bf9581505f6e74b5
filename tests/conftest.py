"""Shared fixtures: databases (SQLite and PostgreSQL), demo-like data files, a config builder, the one
way tests build a Runtime."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from monitor.clock import Clock, system_clock
from monitor.config import AuthConfig, Config, load_config
from monitor.pipeline.runtime import Runtime, build_runtime
from monitor.store.engine import upgrade_database

pytest_plugins = ("tests.alerting.fixtures",)

POSTGRES_ADMIN_URL = os.environ.get(
    "MONITOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where no real part may be missing."""
    if IN_CI:
        pytest.fail(f"{reason} (mandatory in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: sa.Engine) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres_admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'monitor.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


ConfigFactory = Callable[..., Config]


# Tests not about access control use this admin key from the config (auth stays on, as by default):
# their HTTP clients and browsers send AUTH_HEADERS. tests/web/test_access.py covers the rest.
ADMIN_TOKEN = "mm_test-admin-key-0123456789abcdefghijklmnop"
TEST_AUTH: dict[str, Any] = {"keys": [{"name": "test-admin", "token": ADMIN_TOKEN, "scope": "admin"}]}
AUTH_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def write_config(tmp_path: Path) -> ConfigFactory:
    """Writes a config dict as YAML beside the test's files and loads it the way the CLI does."""

    def factory(data: dict[str, Any], name: str = "config.yaml") -> Config:
        data = data if "auth" in data else {**data, "auth": TEST_AUTH}
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return load_config(path)

    return factory


class RuntimeFactory(Protocol):
    def __call__(
        self, config: dict[str, Any] | Config, *, now: datetime | None = None, clock: Clock | None = None
    ) -> Runtime: ...


@pytest.fixture
def make_runtime(write_config: ConfigFactory) -> Iterator[RuntimeFactory]:
    """Builds a Runtime as the service does: a config dict is written and loaded with `write_config`
    (a Config is used as it is), the database is upgraded, and `build_runtime` syncs the monitors at
    `now` (DAY0 unless given), with `clock` as its clock (the system's unless given). Every runtime made
    is closed at teardown; closing one earlier, to model a process that ended, is harmless."""
    made: list[Runtime] = []

    def factory(
        config: dict[str, Any] | Config, *, now: datetime | None = None, clock: Clock | None = None
    ) -> Runtime:
        loaded = config if isinstance(config, Config) else write_config(config)
        if "auth" not in loaded.model_fields_set:  # as write_config does for a dict
            loaded = loaded.model_copy(update={"auth": AuthConfig.model_validate(TEST_AUTH)})
        upgrade_database(loaded.database_url())
        runtime = build_runtime(loaded, now=DAY0 if now is None else now, clock=clock or system_clock)
        made.append(runtime)
        return runtime

    yield factory
    for runtime in made:
        runtime.close()


# A small monitor on real files: x shifts and colour changes mix from day 2 on; y never moves.
DAY0 = datetime(2026, 6, 1, tzinfo=UTC)
DRIFT_FROM_DAY = 2
ROWS_PER_DAY = 800


def _frame(rng: np.random.Generator, n: int, *, drifted: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": rng.normal(1.5 if drifted else 0.0, 1.0, n),
            "y": rng.normal(5.0, 2.0, n),
            "colour": rng.choice(
                ["red", "green", "blue"], n, p=[0.7, 0.2, 0.1] if drifted else [0.2, 0.4, 0.4]
            ),
        }
    )


@pytest.fixture
def monitor_files(tmp_path: Path) -> Path:
    rng = np.random.default_rng(11)
    reference = _frame(rng, 3000, drifted=False)
    reference.to_parquet(tmp_path / "reference.parquet")
    days = []
    for day in range(4):
        frame = _frame(rng, ROWS_PER_DAY, drifted=day >= DRIFT_FROM_DAY)
        frame.insert(
            0,
            "timestamp",
            DAY0 + timedelta(days=day) + pd.to_timedelta(np.linspace(0, 86399, ROWS_PER_DAY), "s"),
        )
        frame["score"] = rng.random(ROWS_PER_DAY)
        frame["prediction"] = (frame["score"] > 0.5).astype(int)
        days.append(frame)
    log = pd.concat(days, ignore_index=True)
    log.insert(0, "prediction_id", [f"id{i}" for i in range(len(log))])
    log.to_parquet(tmp_path / "predictions.parquet")
    # Labels follow the score on half the rows, so AUC is well above 0.5; they arrive two days later.
    noise = rng.random(len(log))
    labels = pd.DataFrame(
        {
            "prediction_id": log["prediction_id"],
            "label": np.where(noise < 0.5, log["prediction"], rng.integers(0, 2, len(log))),
            "labelled_at": log["timestamp"] + timedelta(days=2),
        }
    )
    labels.to_parquet(tmp_path / "labels.parquet")
    return tmp_path


def monitor_config(db_url: str, **drift: object) -> dict:
    return {
        "database": {"url": db_url},
        "notifiers": {"log": {"type": "log"}},
        "monitors": {
            "m": {
                "model": "toy",
                "source": {"type": "files", "path": "predictions.parquet"},
                "labels": {"source": {"type": "files", "path": "labels.parquet"}},
                "reference": {"type": "files", "path": "reference.parquet"},
                "schema": {"features": ["x", "y", "colour"]},
                "drift": {"tests": ["ks", "chi2", "psi"], "drift_share": 0.3, **drift},
                "alerts": [
                    {"name": "drift", "signal": "drift_share", "threshold": 0.3, "for": 2, "notify": ["log"]},
                ],
            }
        },
    }


def xy_monitor_config(db_url: str, *, monitor: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A monitor "m" of model "toy" on predictions.parquet against reference.parquet with features
    x and y (the fault tests write such files), with `monitor` settings and top-level sections added."""
    settings = {
        "model": "toy",
        "source": {"type": "files", "path": "predictions.parquet"},
        "reference": {"type": "files", "path": "reference.parquet"},
        "schema": {"features": ["x", "y"]},
        **monitor,
    }
    return {"database": {"url": db_url}, **top, "monitors": {"m": settings}}


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless chromium driven by Playwright (never a downloaded browser)."""
    executable = shutil.which("chromium")
    if executable is None:
        unavailable("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
