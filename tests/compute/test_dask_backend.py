"""The dask backend on a LocalCluster of 2 worker processes: a window of Parquet files summarised on the
workers gives the local engine's results on the same rows, exactly where the issue says exact (chi2,
PSI, Jensen-Shannon, Hellinger, KS merged exactly, row counts, column quality), within the reported
bound elsewhere (KS from a KLL sketch, Wasserstein); a cluster that is down is a clear error."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pandas as pd
import pytest
from dask.delayed import delayed
from distributed import LocalCluster
from scipy import stats

from monitor.compute import ComputeError, build_backend, compare_window, read_parquet_window
from monitor.compute.dask_backend import DaskBackend, local_only
from monitor.drift import DatasetDrift, DriftOptions, Status, TestResult, build_profile, compare_datasets

from .conftest import FEATURES, OPTIONS, Window


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes of one thread each, for this module's tests."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, **local_only(True)) as made:
        yield made


@pytest.fixture
def backend(cluster: LocalCluster) -> Iterator[DaskBackend]:
    with DaskBackend(cluster.scheduler_address, connect_timeout=10) as connected:
        yield connected


@pytest.fixture(scope="module")
def local(window: Window) -> DatasetDrift:
    return compare_datasets(window.reference, window.rows(), OPTIONS)


def by_key(result: DatasetDrift) -> dict[tuple[str, str], TestResult]:
    return {(r.column, r.test): r for r in result.results}


def read(window: Window, columns: list[str]) -> Any:
    return read_parquet_window(window.pattern, columns, time_column="ts", start=window.start, end=window.end)


def test_the_window_is_summarised_on_two_worker_processes(backend: DaskBackend) -> None:
    where = backend.describe()
    assert (where["backend"], where["workers"], where["threads"]) == ("dask", 2, 2)
    assert where["local_cluster"] is False and where["scheduler"] == backend.address


def test_every_statistic_is_the_local_engines(
    backend: DaskBackend, window: Window, local: DatasetDrift
) -> None:
    pieces = read(window, FEATURES)
    result = compare_window(backend, pieces, build_profile(window.reference, OPTIONS), OPTIONS)
    assert (result.reference_rows, result.current_rows) == (70_000, 72_000)
    assert result.columns == local.columns
    mine, theirs = by_key(result), by_key(local)
    assert mine.keys() == theirs.keys() and len(mine) == 4 * 5 + 4  # numerical, categorical
    for key, ours in mine.items():
        expected = theirs[key]
        assert ours.status is Status.OK and expected.status is Status.OK
        assert ours.statistic is not None and expected.statistic is not None
        computed_from = ours.details.get("computed_from")
        if key == ("amount", "ks") or key[1] == "wasserstein":
            # The bound is the method's; float rounding comes on top (sums in another order).
            assert abs(ours.statistic - expected.statistic) <= ours.details["error_bound"] + 1e-12
            assert computed_from == ("kll_sketch" if key[0] == "amount" else "exact_merge")
        else:
            assert (ours.statistic, ours.p_value) == (expected.statistic, expected.p_value)
            assert computed_from == ("exact_merge" if key[1] == "ks" else None)
    # DataSketches' bound for k = 4096: 0.07% of the window's values.
    assert mine["amount", "ks"].details["error_bound"] == pytest.approx(7.06e-4, abs=1e-6)


def test_ks_merged_on_the_cluster_is_scipys(backend: DaskBackend, window: Window) -> None:
    options = DriftOptions(tests=("ks",))
    profile = build_profile(window.reference[["tied", "score"]], options)
    result = compare_window(backend, read(window, ["tied", "score"]), profile, options)
    rows = window.rows()
    assert [ks.column for ks in result.results] == ["tied", "score"]
    for ks in result.results:
        expected = stats.ks_2samp(window.reference[ks.column].dropna(), rows[ks.column].dropna())
        assert (ks.statistic, ks.p_value) == (expected.statistic, expected.pvalue)
        assert ks.details["statistic_location"] == expected.statistic_location


def test_pieces_may_be_pandas_or_delayed_frames(backend: DaskBackend, window: Window) -> None:
    rows = window.rows()
    profile = build_profile(window.reference, OPTIONS)
    frames = [rows.iloc[:20_000], rows.iloc[20_000:20_000], rows.iloc[20_000:]]
    from_frames = compare_window(backend, frames, profile, OPTIONS)
    from_delayed = compare_window(backend, [delayed(pd.DataFrame.copy)(f) for f in frames], profile, OPTIONS)
    local = compare_datasets(window.reference, rows, OPTIONS)
    exact = [r for r in local.results if r.test in ("chi2", "psi")]
    for result in (from_frames, from_delayed):
        assert result.current_rows == 72_000
        assert [r for r in result.results if r.test in ("chi2", "psi")] == exact


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_cluster_that_is_down_is_a_clear_error_not_a_hang(window: Window) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    profile = build_profile(window.reference, OPTIONS)
    with (
        build_backend("dask", address=address, connect_timeout=2) as backend,
        pytest.raises(ComputeError, match=f"cannot reach the Dask scheduler at {address} within 2 s"),
    ):
        backend.summarise_window([window.reference.iloc[:10]], profile, OPTIONS)


def test_without_an_address_the_backend_runs_its_own_cluster_and_stops_it() -> None:
    rng = np.random.default_rng(1)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 2000), "c": rng.choice(list("abc"), 2000)})
    current = pd.DataFrame({"x": rng.normal(0.2, 1, 3000), "c": rng.choice(list("abcd"), 3000)})
    options = DriftOptions(tests=("ks", "chi2"))
    with DaskBackend(n_workers=1, processes=False) as backend:
        pieces = [current.iloc[:1000], current.iloc[1000:]]
        result = compare_window(backend, pieces, build_profile(reference), options)
        assert backend.describe()["local_cluster"] is True
        cluster = backend._cluster
    assert cluster is not None and cluster.status.name == "closed"
    local = compare_datasets(reference, current, options)
    assert [(r.test, r.statistic, r.p_value) for r in result.results] == [
        (r.test, r.statistic, r.p_value) for r in local.results
    ]


def test_a_window_that_outlasts_its_timeout_is_a_clear_error(backend: DaskBackend, window: Window) -> None:
    profile = build_profile(window.reference, OPTIONS)
    slow = delayed(time.sleep)(5)  # a piece that does not arrive within the timeout
    backend.compute_timeout = 0.5
    with pytest.raises(
        ComputeError, match=r"did not finish the window within 0\.5 s \(compute\.timeout\); it was cancelled"
    ):
        backend.summarise_window([slow], profile, OPTIONS)


def test_a_tls_scheduler_without_certificates_is_a_clear_error(tmp_path: Path) -> None:
    address = f"tls://127.0.0.1:{free_port()}"  # refused before any connection is tried
    with (
        dask.config.set({"distributed.comm.tls.ca-file": None, "distributed.comm.tls.client.cert": None}),
        build_backend("dask", address=address, connect_timeout=2) as backend,
        pytest.raises(ComputeError, match=f"the Dask scheduler at {address} speaks TLS, and no TLS cert"),
    ):
        backend.describe()
    missing = tmp_path / "ca.pem"
    settings = {
        "distributed.comm.tls.ca-file": str(missing),
        "distributed.comm.tls.client.cert": str(tmp_path / "cert.pem"),
    }
    with (
        dask.config.set(settings),
        build_backend("dask", address=address, connect_timeout=2) as backend,
        pytest.raises(
            ComputeError, match=f"cannot load the TLS certificates for the Dask scheduler at {address}"
        ),
    ):
        backend.describe()
