"""Where a monitor's windows are computed: in the service's process (`local`) or on a Dask cluster.

`dask` computes a window's feature, output and dataset-level drift, data quality, serving health,
performance estimates and label metrics from mergeable summaries of its partitions, read on the
workers (monitor/compute/window.py, monitor/pipeline/cluster*.py); what that path cannot compute (CSV
files, Evidently's tests) is refused here, at load time, with the setting's path (`dask_limits`),
never dropped.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from monitor.config._base import Duration, _Strict

if TYPE_CHECKING:
    from monitor.config.monitors import MonitorConfig

# tcp://host:8786, tls://host:8786 (certificates from dask's configuration), ws(s)://, ucx://.
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|ucx)://[^\s/]+:\d{1,5}$")


class ComputeConfig(_Strict):
    backend: Literal["local", "dask"] = "local"
    # A Dask scheduler's address (tcp://host:8786, tls://host:8786); none: a LocalCluster on
    # 127.0.0.1, started by the service, shared by the monitors with the same settings, closed at shutdown.
    address: str | None = None
    # The LocalCluster's workers (default: one per core) and threads each; not with `address`.
    workers: int | None = Field(None, ge=1, le=1024)
    threads_per_worker: int = Field(1, ge=1, le=256)
    # The LocalCluster's workers as processes (false: threads of the service's own process).
    processes: bool = True
    # How long a window may take on the cluster (a number is seconds); past it the window is cancelled
    # on the cluster and the run fails (and is retried as any failed run).
    timeout: Duration = timedelta(hours=1)
    # How long connecting to the scheduler may take before the run fails (and is retried).
    connect_timeout: Duration = timedelta(seconds=10)
    # A `sql` or `ingest` source's window is read on the workers in this many equal time ranges, one
    # query and one task each (Parquet files are read a file or row groups a task). An `ingest`
    # source's rows are in the service's database, which the workers then must reach.
    sql_ranges: int = Field(24, ge=1, le=10_000)

    @field_validator("address")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is not None and not _ADDRESS.match(value.strip()):
            raise ValueError(
                f"{value[:80]!r} is not a Dask scheduler address such as tcp://host:8786 or tls://host:8786"
            )
        return value.strip() if value is not None else None

    @field_validator("timeout", "connect_timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration such as 600 (seconds) or 30m")
        return value

    @model_validator(mode="after")
    def _settings_of_the_backend(self) -> ComputeConfig:
        cluster = [f for f in ("address", "workers") if getattr(self, f) is not None]
        if self.backend == "local" and cluster:
            raise ValueError(f"{', '.join(cluster)} apply to `backend: dask` only")
        if self.address is not None and self.workers is not None:
            raise ValueError("`workers` sizes the local cluster started without `address`; not both")
        return self

    def cluster_key(self) -> tuple[str | None, int | None, int, bool, float]:
        """What identifies the cluster: monitors with the same key share one connection (or LocalCluster)."""
        wait = self.connect_timeout.total_seconds()
        if self.address is not None:
            return (self.address, None, 1, True, wait)
        return (None, self.workers, self.threads_per_worker, self.processes, wait)


def dask_limits(monitor: MonitorConfig) -> list[tuple[str, str]]:
    """(setting, why) for each setting of a monitor that the dask path cannot compute; empty with `local`."""
    if monitor.compute.backend != "dask":
        return []
    limits: list[tuple[str, str]] = []
    need = "dask needs a files source of Parquet files, a sql or an ingest source"
    source = monitor.source
    if source.type == "files" and (
        source.format == "csv" or (source.format == "auto" and source.path.lower().endswith(".csv"))
    ):
        limits.append(("compute.backend", f"{need}; {source.path} is CSV (set backend: local)"))
    tests = [*monitor.drift.tests, *(t for c in monitor.drift.columns.values() for t in c.tests or [])]
    if any(t.startswith("evidently:") for t in tests):
        limits.append(("drift.tests", "Evidently's tests need the window's rows; not run on a Dask cluster"))
    return limits
