"""`compute:`: local by default; dask with a scheduler address or a local cluster; and a config error,
with its path, for whatever the dask path cannot compute (never a setting silently dropped)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config import parse_config
from tests.config.test_parse import errors_of, minimal

DASK = {"backend": "dask"}
LABELS = {"source": {"type": "files", "path": "labels.parquet"}}


def parsed(**monitor: Any) -> Any:
    return parse_config(minimal(**monitor), base_dir=Path("/cfg"), env={}).monitors["credit"]


def test_compute_defaults_to_this_process() -> None:
    compute = parsed().compute
    assert (compute.backend, compute.address, compute.workers) == ("local", None, None)
    assert compute.timeout == timedelta(hours=1)


def test_dask_settings_are_read() -> None:
    remote = parsed(compute={"backend": "dask", "address": " tls://scheduler.internal:8786", "timeout": 90})
    assert (remote.compute.address, remote.compute.timeout) == (
        "tls://scheduler.internal:8786",
        timedelta(seconds=90),
    )
    local = parsed(compute={"backend": "dask", "workers": 3, "threads_per_worker": 2, "timeout": "30m"})
    assert (local.compute.workers, local.compute.threads_per_worker) == (3, 2)
    assert local.compute.timeout == timedelta(minutes=30)
    assert local.compute.cluster_key() != remote.compute.cluster_key()


def test_a_sql_source_is_read_on_the_cluster_in_time_ranges() -> None:
    sql = {"type": "sql", "url": "postgresql://db/warehouse", "table": "predictions"}
    compute = parsed(compute=DASK, source=sql).compute
    assert (compute.backend, compute.sql_ranges) == ("dask", 24)
    assert parsed(compute={**DASK, "sql_ranges": 96}, source=sql).compute.sql_ranges == 96


def test_where_a_window_is_computed_does_not_change_the_config_hash() -> None:
    assert parsed(compute=DASK).config_hash() == parsed().config_hash()


@pytest.mark.parametrize(
    ("monitor", "path", "message"),
    [
        (
            {"compute": {"backend": "dask", "address": "http://host:8786"}},
            "monitors.credit.compute.address",
            "is not a Dask scheduler address",
        ),
        (
            {"compute": {"backend": "dask", "address": "tcp://host"}},
            "monitors.credit.compute.address",
            "is not a Dask scheduler address",
        ),
        (
            {"compute": {"address": "tcp://host:8786"}},
            "monitors.credit.compute",
            "address apply to `backend: dask` only",
        ),
        (
            {"compute": {"backend": "dask", "address": "tcp://h:1", "workers": 2}},
            "monitors.credit.compute",
            "not both",
        ),
        (
            {"compute": {"backend": "dask", "timeout": 0}},
            "monitors.credit.compute.timeout",
            "must be a positive duration",
        ),
        ({"compute": {"backend": "spark"}}, "monitors.credit.compute.backend", "'local' or 'dask'"),
        (
            {"compute": {**DASK, "sql_ranges": 0}},
            "monitors.credit.compute.sql_ranges",
            "greater than or equal to 1",
        ),
        (
            {"compute": DASK, "source": {"type": "files", "path": "p/*.csv"}},
            "monitors.credit.compute.backend",
            "p/*.csv is CSV",
        ),
        (
            {"compute": DASK, "drift": {"columns": {"x": {"tests": ["evidently:psi"]}}}},
            "monitors.credit.drift.tests",
            "Evidently's tests need the window's rows",
        ),
    ],
)
def test_what_dask_cannot_compute_is_a_config_error(monitor: dict[str, Any], path: str, message: str) -> None:
    errors = errors_of(minimal(**monitor))
    assert any(where == path and message in text for where, text in errors), errors


def test_the_same_settings_with_the_local_backend_are_fine() -> None:
    monitor = parsed(labels=LABELS, segments={"by": ["region"]}, serving={"latency_column": "ms"})
    assert monitor.compute.backend == "local"


def test_label_metrics_latency_and_dataset_drift_are_computed_on_the_cluster() -> None:
    pushed = parsed(compute=DASK, source={"type": "ingest"}, schema={"features": ["x"]})
    assert (pushed.source.type, pushed.compute.backend) == ("ingest", "dask")
    multivariate = parsed(compute=DASK, drift={"multivariate": {"classifier": True, "reconstruction": True}})
    assert multivariate.drift.multivariate.classifier and multivariate.compute.backend == "dask"
    monitor = parsed(
        compute=DASK, labels=LABELS, segments={"by": ["region"]}, serving={"latency_column": "ms"}
    )
    assert (monitor.compute.backend, monitor.labels is not None) == ("dask", True)
    assert monitor.serving.latency_column == "ms"
