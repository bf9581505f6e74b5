"""Where a run was computed, on its page and in the run API: the backend, the cluster's address (shown as
text, whatever it holds), its workers, and the partitions done of all while it runs and at the end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from distributed import LocalCluster

from monitor import pipeline
from monitor.compute.dask_backend import local_only
from monitor.pipeline.runtime import Runtime
from monitor.store import claims
from monitor.store.monitors import monitor_id
from monitor.store.run_compute import record_progress, start_compute
from monitor.web.app import create_app
from monitor.windows import Window
from tests.conftest import AUTH_HEADERS, DAY0, RuntimeFactory
from tests.servers import serving

HOSTILE = "tcp://<script>alert(1)</script>:8786"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    settings = {**local_only(False), "protocol": "tcp", "host": "127.0.0.1"}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, **settings) as made:
        yield made


@pytest.fixture
def runtime(db_url: str, monitor_files: Path, make_runtime: RuntimeFactory, cluster: LocalCluster) -> Runtime:
    monitor: dict[str, Any] = {
        "model": "toy",
        "source": {"type": "files", "path": "predictions.parquet"},
        "reference": {"type": "files", "path": "reference.parquet"},
        "schema": {"features": ["x", "y", "colour"]},
        "compute": {"backend": "dask", "address": cluster.scheduler_address},
    }
    return make_runtime({"database": {"url": db_url}, "monitors": {"m": monitor}})


def day(n: int) -> Window:
    return Window(DAY0 + timedelta(days=n), DAY0 + timedelta(days=n + 1))


def test_the_run_page_and_api_show_the_cluster_and_progress(runtime: Runtime, cluster: LocalCluster) -> None:
    outcome = pipeline.run_monitor(runtime, "m", day(1), now=DAY0 + timedelta(days=3))
    assert outcome.status == "succeeded", outcome.error
    with serving(create_app(runtime)) as server, server.client() as http:
        http.headers.update(AUTH_HEADERS)
        run = http.get(f"/api/v1/runs/{outcome.run_id}").json()
        listed = http.get("/api/v1/monitors/m/runs").json()["items"][0]
        page = http.get(f"/runs/{outcome.run_id}").text
    expected = {
        "backend": "dask",
        "address": cluster.scheduler_address,
        "workers": 2,
        "partitions_total": 1,  # one file of one row group
        "partitions_done": 1,
    }
    assert run["compute"] == listed["compute"] == expected
    assert 'id="compute-backend">on a Dask cluster</span>' in page
    assert f'<code id="compute-address">{cluster.scheduler_address}</code>' in page
    assert "2 worker(s)" in page and '<span id="compute-progress">1 of 1</span> partition(s) done' in page


def test_progress_shows_while_a_run_computes_and_an_address_is_text(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        mid = monitor_id(session=session, name="m")
    assert mid is not None
    now = DAY0 + timedelta(days=3)
    claim = claims.claim_run(
        runtime.sessions, monitor_id=mid, start=day(2).start, end=day(2).end, trigger="schedule", now=now
    )
    assert claim.run_id is not None
    run_id, token = claim.run_id, claim.token
    assert start_compute(
        runtime.sessions, run_id=run_id, token=token, backend="dask", address=HOSTILE, workers=4, partitions=9
    )
    assert record_progress(runtime.sessions, run_id=run_id, token=token, done=5, total=9)
    assert not record_progress(runtime.sessions, run_id=claim.run_id, token="not-ours", done=9, total=9)
    with serving(create_app(runtime)) as server, server.client() as http:
        http.headers.update(AUTH_HEADERS)
        api = http.get(f"/api/v1/runs/{claim.run_id}").json()
        page = http.get(f"/runs/{claim.run_id}").text
    assert api["status"] == "running"
    assert api["compute"] == {
        "backend": "dask",
        "address": HOSTILE,
        "workers": 4,
        "partitions_total": 9,
        "partitions_done": 5,
    }
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<span id="compute-progress">5 of 9</span>' in page
