"""Secrets in URLs are masked in every error text: stored, shown on the API and pages, and logged."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from monitor import pipeline
from monitor.cli.logs import MaskingFormatter
from monitor.errors import mask_url_secrets
from monitor.services.monitors import run_detail
from monitor.web.app import create_app
from monitor.windows import Window
from tests.conftest import DAY0, RuntimeFactory, monitor_config
from tests.servers import free_port, serving

SECRET = "hunter2-Zq9"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "postgresql+psycopg://ana:pw@db:5432/prod failed",
            "postgresql+psycopg://ana:***@db:5432/prod failed",
        ),
        ("https://h/x?password=pw&sslmode=require", "https://h/x?password=***&sslmode=require"),
        ("https://h/x?a=1&token=t;sig=s#frag", "https://h/x?a=1&token=***;sig=***#frag"),
        ("'https://TOKEN@github.com/o/r'", "'https://***@github.com/o/r'"),
        ("no url here: /data/x.parquet", "no url here: /data/x.parquet"),
    ],
)
def test_passwords_and_secret_parameters_are_masked(text: str, expected: str) -> None:
    assert mask_url_secrets(text) == expected


def test_a_failing_sql_source_never_shows_its_password(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    config = monitor_config(db_url)
    url = (
        f"postgresql+psycopg://ana:{SECRET}@127.0.0.1:{free_port()}/prod?password={SECRET}&connect_timeout=2"
    )
    config["monitors"]["m"]["source"] = {"type": "sql", "url": url, "table": "predictions"}
    runtime = make_runtime(config)
    with caplog.at_level(logging.INFO):
        outcome = pipeline.run_monitor(
            runtime, "m", Window(DAY0, DAY0 + timedelta(days=1)), now=DAY0 + timedelta(days=1)
        )
    assert outcome.status == "failed" and outcome.run_id is not None
    detail = run_detail(runtime, outcome.run_id)
    assert detail is not None and detail.error is not None and "***" in detail.error
    assert SECRET not in detail.error
    masked_logs = "\n".join(
        MaskingFormatter(logging.Formatter("%(message)s")).format(r) for r in caplog.records
    )
    assert SECRET not in masked_logs
    with serving(create_app(runtime)) as server, server.client() as http:
        api = http.get(f"/api/v1/runs/{outcome.run_id}").text
        page = http.get(f"/runs/{outcome.run_id}").text
        metrics = http.get("/metrics").text
    assert SECRET not in api and SECRET not in page and SECRET not in metrics
