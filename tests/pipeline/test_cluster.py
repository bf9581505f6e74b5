"""Scheduled runs with `compute: {backend: dask}` on a LocalCluster of 2 workers (threads, shared by the
module): the window's Parquet partitions are summarised on the workers and the run stores what the
same window's local run stores (chi2, PSI, Jensen-Shannon, Hellinger and KS exactly: the reference has
fewer than 65,536 distinct values); the run records its backend, cluster and progress; a scheduler
that cannot be reached, or a window past its timeout, fails the run with a clear reason, retried."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster
from scipy.stats import ks_2samp

from monitor import pipeline
from monitor.compute.dask_backend import local_only
from monitor.pipeline.runtime import Runtime
from monitor.services.types import RunDetailOut
from monitor.store import runs as run_store
from monitor.store.tables import RunRow
from monitor.windows import Window
from tests.conftest import DAY0, RuntimeFactory

TESTS = ["ks", "chi2", "psi", "jensenshannon", "hellinger"]
WINDOW = Window(DAY0 + timedelta(days=2), DAY0 + timedelta(days=3))
NOW = DAY0 + timedelta(days=3, hours=1)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two workers as threads of this process, reached over TCP as a real scheduler is."""
    settings = {**local_only(False), "protocol": "tcp", "host": "127.0.0.1"}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, **settings) as made:
        yield made


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reference, and a prediction log of 4 days in 8 files (2 a day), with an error flag."""
    folder = tmp_path_factory.mktemp("cluster")
    rng = np.random.default_rng(16)

    def frame(n: int, shift: float) -> pd.DataFrame:
        colours = ["red", "green", "blue"] + (["violet"] if shift else [])
        colour = pd.Series(rng.choice(colours, n), dtype=object).where(rng.random(n) > 0.02, None)
        x = rng.normal(shift, 1.0, n)
        x[rng.random(n) < 0.03] = np.nan
        return pd.DataFrame({"x": x, "y": rng.integers(0, 40, n).astype(float), "colour": colour})

    frame(3000, 0.0).assign(score=rng.random(3000)).to_parquet(folder / "reference.parquet")
    (folder / "log").mkdir()
    for part in range(8):
        rows = frame(700, 0.4 if part >= 4 else 0.0)
        start = DAY0 + timedelta(hours=12 * part)
        rows.insert(0, "timestamp", start + pd.to_timedelta(np.linspace(0, 43_199, 700), "s"))
        rows["score"] = rng.random(700)
        rows["prediction"] = (rows["score"] > 0.5).astype(int)
        rows["failed"] = rng.random(700) < 0.1
        # Serving latency, from a generator of its own: the other columns stay as they were.
        rows["ms"] = np.random.default_rng(100 + part).gamma(2.0, 20.0, 700)
        rows["extra"] = 1  # a column the reference lacks: a quality finding either way
        rows.to_parquet(folder / "log" / f"part-{part}.parquet", row_group_size=350)
    return folder


def monitor(compute: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": "toy",
        "source": {"type": "files", "path": "log/*.parquet"},
        "reference": {"type": "files", "path": "reference.parquet"},
        "schema": {"features": ["x", "y", "colour"]},
        "drift": {"tests": TESTS},
        "serving": {"error_column": "failed", "low_confidence": [0.4, 0.6], "latency_column": "ms"},
        "compute": compute,
    }


def config(db_url: str, **monitors: dict[str, Any]) -> dict[str, Any]:
    return {"database": {"url": db_url}, "monitors": {n: monitor(c) for n, c in monitors.items()}}


@pytest.fixture
def make(tmp_path: Path, files: Path, make_runtime: RuntimeFactory, db_url: str) -> Any:
    """Runtimes of monitors on the module's files (linked beside the test's config file)."""
    for name in ("reference.parquet", "log"):
        (tmp_path / name).symlink_to(files / name)

    def made(**monitors: dict[str, Any]) -> Runtime:
        return make_runtime(config(db_url, **monitors))

    return made


def stored(runtime: Runtime, run_id: int | None) -> tuple[RunRow, RunDetailOut]:
    assert run_id is not None
    with runtime.sessions() as session:
        found = run_store.get_run(session=session, run_id=run_id)
        assert found is not None
        return found[0], RunDetailOut.from_detail(*found)


def results(detail: RunDetailOut) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (r.column, r.test): (r.statistic, r.p_value, r.threshold, r.drifted, r.kind)
        for r in detail.drift_results + detail.output_drift
    }


def assert_equal_to_local_and_rows(
    dask_detail: RunDetailOut, local_detail: RunDetailOut, rows: pd.DataFrame, reference: Path
) -> None:
    """The dask run's statistics, quality and error rate equal the local run's, bit for bit, and
    agree with scipy and pandas on the window's rows (read by the test)."""
    assert results(dask_detail) == results(local_detail)
    assert {t for _, t in results(dask_detail)} == set(TESTS)
    ks = ks_2samp(pd.read_parquet(reference)["x"].dropna(), rows["x"].dropna())
    assert results(dask_detail)[("x", "ks")][0] == pytest.approx(ks.statistic, abs=1e-12)
    quality = {(q.check, q.column): (q.value, q.finding) for q in dask_detail.quality}
    assert quality == {(q.check, q.column): (q.value, q.finding) for q in local_detail.quality}
    assert quality[("missing_share", "x")][0] == pytest.approx(rows["x"].isna().mean(), abs=1e-12)
    assert dask_detail.health is not None
    assert dask_detail.health.error_rate == pytest.approx(rows["failed"].mean(), abs=1e-12)


def test_a_dask_run_stores_what_the_local_run_stores(make: Any, cluster: LocalCluster, files: Path) -> None:
    address = cluster.scheduler_address
    runtime = make(local={}, dask={"backend": "dask", "address": address})
    local = pipeline.run_monitor(runtime, "local", WINDOW, now=NOW, trigger="schedule")
    dask = pipeline.run_monitor(runtime, "dask", WINDOW, now=NOW, trigger="schedule")
    assert (local.status, dask.status) == ("succeeded", "succeeded"), dask.error
    local_row, local_detail = stored(runtime, local.run_id)
    dask_row, dask_detail = stored(runtime, dask.run_id)
    assert dask_row.row_count == local_row.row_count == 1400
    assert any(r.column == "score" for r in dask_detail.output_drift)
    log = pd.concat(pd.read_parquet(p) for p in sorted((files / "log").glob("*.parquet")))
    rows = log[(log.timestamp >= WINDOW.start) & (log.timestamp < WINDOW.end)]
    assert_equal_to_local_and_rows(dask_detail, local_detail, rows, files / "reference.parquet")
    quality = {(q.check, q.column): (q.value, q.finding) for q in dask_detail.quality}
    assert quality[("new_column", "extra")] == (None, True)
    assert dask_detail.health is not None and local_detail.health is not None
    assert dask_detail.health.error_rate == local_detail.health.error_rate
    low = rows["score"].between(0.4, 0.6).mean()
    assert dask_detail.health.low_confidence_share == pytest.approx(low, abs=1e-12)
    # Quantiles from merged KLL sketches, which hold every value of a window this small: numpy's.
    assert dask_detail.health.score_quantiles == local_detail.health.score_quantiles
    assert dask_detail.health.score_quantiles["0.5"] == pytest.approx(rows["score"].median(), abs=1e-12)
    latency = (dask_detail.health.latency_p50, dask_detail.health.latency_p95, dask_detail.health.latency_p99)
    assert latency == (
        local_detail.health.latency_p50,
        local_detail.health.latency_p95,
        local_detail.health.latency_p99,
    )
    assert latency == pytest.approx(tuple(np.percentile(rows["ms"], [50, 95, 99])), abs=1e-12)
    assert dask_detail.health.note is None and local_detail.health.note is None
    assert dask_detail.compute is not None and local_detail.compute is not None
    assert local_detail.compute.backend == "local" and local_detail.compute.address is None
    where = dask_detail.compute
    assert (where.backend, where.address, where.workers) == ("dask", address, 2)
    # The 2 files of the window's day: the others are skipped on their statistics (time filter).
    assert where.partitions_total == where.partitions_done == 2
    assert dask_row.status == "succeeded" and dask_row.facts == local_row.facts


def test_without_an_address_the_service_starts_a_local_cluster_and_closes_it(make: Any) -> None:
    runtime = make(dask={"backend": "dask", "workers": 2, "processes": False})
    outcome = pipeline.run_monitor(runtime, "dask", WINDOW, now=NOW, trigger="schedule")
    assert outcome.status == "succeeded", outcome.error
    _, detail = stored(runtime, outcome.run_id)
    assert detail.compute is not None and detail.compute.workers == 2
    assert detail.compute.address is not None and detail.compute.address.startswith("inproc://")
    backend = runtime.compute_backend(runtime.monitor("dask").compute)
    cluster = backend._cluster
    assert cluster is not None and cluster.status.name == "running"
    runtime.close()
    assert cluster.status.name == "closed"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_an_unreachable_scheduler_fails_the_run_which_is_retried(make: Any) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    runtime = make(dask={"backend": "dask", "address": address, "connect_timeout": 1})
    first = pipeline.run_monitor(runtime, "dask", WINDOW, now=NOW, trigger="schedule")
    assert first.status == "failed"
    assert first.error is not None and f"cannot reach the Dask scheduler at {address}" in first.error
    row, detail = stored(runtime, first.run_id)
    assert (row.status, row.attempts, row.error) == ("failed", 1, first.error)
    assert row.next_retry_at is not None and row.claim_token is None
    assert detail.compute is not None and (detail.compute.backend, detail.compute.address) == (
        "dask",
        address,
    )
    retry_at = row.next_retry_at
    assert retry_at > NOW
    early = pipeline.run_monitor(runtime, "dask", WINDOW, now=NOW, trigger="schedule")
    assert (early.status, early.reason) == ("skipped", "retry_later")
    again = pipeline.run_monitor(runtime, "dask", WINDOW, now=retry_at, trigger="schedule")
    assert again.status == "failed" and again.run_id == first.run_id
    row, _ = stored(runtime, again.run_id)
    assert (row.status, row.attempts) == ("failed", 2)


def test_a_window_past_its_timeout_is_cancelled_and_the_run_fails(make: Any, cluster: LocalCluster) -> None:
    runtime = make(dask={"backend": "dask", "address": cluster.scheduler_address, "timeout": 0.001})
    outcome = pipeline.run_monitor(runtime, "dask", WINDOW, now=NOW, trigger="schedule")
    assert outcome.status == "failed"
    assert outcome.error is not None and "did not finish the window within 0.001 s" in outcome.error
    row, _ = stored(runtime, outcome.run_id)
    assert row.status == "failed" and row.next_retry_at is not None and row.lease_until is None
