"""`dask`: a window summarised on a dask.distributed cluster; only its merged summary comes back.

- The plan (monitor.drift.plan: each column's kind and, for numerical ones, the reference's grid; not
  the reference's values) is scattered to every worker once (broadcast); tasks refer to it.
- One task per piece (a dask DataFrame's partition, read on the worker) summarises it there
  (`summarise_piece`: numerical columns compact, monitor/drift/compact.py).
- The summaries merge in a tree of tasks, `split_every` at a time, on the workers; the client
  receives the root: one window's summary, whatever the window's size.
- No scheduler address: a LocalCluster on this machine (worker processes unless `processes=False`),
  closed with the backend. With an address, the backend connects to that scheduler (and closing only
  disconnects); its workers need this package installed (they import monitor.drift to summarise).
- Connecting is bounded by `connect_timeout`: a scheduler that is down gives a ComputeError naming
  its address, not a hang; `compute_timeout` (None: none) bounds the summarising itself.
- A tls:// address uses the TLS certificates of dask's configuration (distributed.comm.tls.*, or
  the DASK_DISTRIBUTED__COMM__TLS__* environment variables); none configured is a ComputeError.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from types import TracebackType
from typing import Any

import pandas as pd
from dask.delayed import delayed
from distributed import Client, KilledWorker, LocalCluster, Security, as_completed

from monitor.compute.base import ComputeError
from monitor.drift import CurrentSummary, DriftOptions, ReferenceProfile, compact_plan, summarise_piece
from monitor.drift.grid import EXACT_LIMIT
from monitor.drift.plan import merge_summaries
from monitor.drift.sketch import SKETCH_K
from monitor.errors import mask_url_secrets

CONNECT_TIMEOUT = 10.0  # seconds
SPLIT_EVERY = 8  # summaries merged per task of the tree
Progress = Callable[[int, int], None]  # (pieces done, pieces in all)
# What a lost cluster raises on the client: connections closed or timed out, workers killed.
CLUSTER_FAILURES = (OSError, TimeoutError, KilledWorker, CancelledError)


def local_only(processes: bool) -> dict[str, Any]:
    """LocalCluster settings: it listens on this machine only (worker processes over TCP on
    127.0.0.1; threads in this process need no network), without a dashboard, and its scheduler's
    HTTP endpoints (metrics, health) on a free port, not on 8787, where another cluster may be."""
    settings: dict[str, Any] = {
        "dashboard_address": None,
        "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"},
    }
    return {**settings, "host": "127.0.0.1"} if processes else settings


def merge_tree(
    summaries: Sequence[Any], split_every: int = SPLIT_EVERY, merge: Callable[..., Any] = merge_summaries
) -> Any:
    """The delayed merge of delayed summaries (or futures), `split_every` at a time, level by level."""
    level = list(summaries)
    if len(level) == 1 and not hasattr(level[0], "dask"):  # one future: a task that returns it
        return delayed(merge)(level[0])
    while len(level) > 1:
        level = [
            delayed(merge)(*level[start : start + split_every]) for start in range(0, len(level), split_every)
        ]
    return level[0]


def follow(client: Client, futures: list[Any], progress: Progress | None, timeout: float | None) -> None:
    """Calls `progress(done, total)` as the futures finish (a TimeoutError past `timeout` seconds)."""
    total = len(futures)
    if progress is None:
        return
    progress(0, total)
    for done, _ in enumerate(as_completed(futures, loop=client.loop, timeout=timeout), start=1):
        progress(done, total)


def check_tls(where: str) -> None:
    """A tls:// scheduler needs this process's certificates, from dask's configuration (distributed
    would otherwise fail with a TypeError about an SSL context, or time out)."""
    try:
        context = Security().get_connection_args("client")["ssl_context"]
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise ComputeError(
            f"cannot load the TLS certificates for the Dask scheduler at {where}: {exc}"
        ) from None
    if context is None:
        raise ComputeError(
            f"the Dask scheduler at {where} speaks TLS, and no TLS certificates are configured for this "
            "process: set distributed.comm.tls.ca-file, distributed.comm.tls.client.cert and "
            "distributed.comm.tls.client.key in dask's configuration (or the environment variables "
            "DASK_DISTRIBUTED__COMM__TLS__CA_FILE, DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT, "
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY)"
        )


class DaskBackend:
    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        *,
        n_workers: int | None = None,
        threads_per_worker: int | None = 1,
        processes: bool = True,
        connect_timeout: float = CONNECT_TIMEOUT,
        compute_timeout: float | None = None,
        split_every: int = SPLIT_EVERY,
        exact_limit: int = EXACT_LIMIT,
        sketch_k: int = SKETCH_K,
    ) -> None:
        """`address`: a scheduler's (tcp://host:8786); None: a LocalCluster of `n_workers` (default:
        dask's, one per core) with `threads_per_worker` each. `exact_limit` and `sketch_k`: KS merges
        exactly for references with at most that many distinct values, else from KLL sketches with
        that k (monitor/drift/plan.py)."""
        if split_every < 2:
            raise ComputeError(f"split_every must be at least 2, not {split_every}")
        self.address = address
        self.n_workers = n_workers
        self.threads_per_worker = threads_per_worker
        self.processes = processes
        self.connect_timeout = connect_timeout
        self.compute_timeout = compute_timeout
        self.split_every = split_every
        self.exact_limit = exact_limit
        self.sketch_k = sketch_k
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        return "a local cluster" if self.address is None else mask_url_secrets(self.address)

    @property
    def client(self) -> Client:
        """The connection to the cluster, made (or the local cluster started) on first use."""
        with self._lock:  # runs in threads share a backend: one connection, one local cluster
            if self._client is None:
                self._client = self._connect() if self.address is not None else self._start_local()
            return self._client

    def _connect(self) -> Client:
        assert self.address is not None
        if self.address.startswith("tls://"):
            check_tls(self.where)
        try:
            return Client(self.address, timeout=self.connect_timeout, set_as_default=False)
        except (*CLUSTER_FAILURES, ValueError) as exc:
            raise ComputeError(
                f"cannot reach the Dask scheduler at {self.where} within {self.connect_timeout:g} s: {exc}"
            ) from None

    def _start_local(self) -> Client:
        try:
            self._cluster = LocalCluster(
                n_workers=self.n_workers,
                threads_per_worker=self.threads_per_worker,
                processes=self.processes,
                **local_only(self.processes),
            )
            return Client(self._cluster, timeout=self.connect_timeout, set_as_default=False)
        except CLUSTER_FAILURES as exc:
            self.close()
            raise ComputeError(f"could not start a local Dask cluster: {exc}") from None

    def _parts(self, pieces: Any) -> list[Any]:
        """Delayed pandas DataFrames or futures of them, one per piece."""
        if hasattr(pieces, "to_delayed"):  # a dask DataFrame: its partitions, read on the workers
            return list(pieces.to_delayed())
        items = [pieces] if isinstance(pieces, pd.DataFrame) else list(pieces)
        frames = [i for i, item in enumerate(items) if isinstance(item, pd.DataFrame)]
        if frames:  # pandas DataFrames of this process: sent to the workers
            sent = self.client.scatter([items[i] for i in frames])
            for i, future in zip(frames, sent, strict=True):
                items[i] = future
        return items

    def summarise_window(
        self, pieces: Any, profile: ReferenceProfile, options: DriftOptions | None = None
    ) -> CurrentSummary:
        """`pieces`: a dask DataFrame (one piece per partition), a list of dask.delayed pandas
        DataFrames, or pandas DataFrames (sent to the cluster: for small windows and tests)."""
        plan = compact_plan(
            profile, options, exact_limit=self.exact_limit, sketch_k=self.sketch_k, parallel=False
        )
        result = self.map_pieces(pieces, summarise_piece, plan, merge_summaries)
        if not isinstance(result, CurrentSummary):
            raise ComputeError(
                f"the Dask cluster at {self.where} returned {type(result).__name__}, not a summary"
            )
        return result

    def map_pieces(
        self,
        pieces: Any,
        summarise: Callable[[pd.DataFrame, Any], Any],
        shared: Any,
        merge: Callable[..., Any],
        *,
        progress: Progress | None = None,
        timeout: float | None = None,
        budget: float | None = None,
    ) -> Any:
        """`summarise(piece, shared)` of each piece on the workers (`shared` sent to each worker once),
        merged there by `merge(*summaries)` in a tree; the root comes back. `progress(done, total)`
        is called here as pieces finish. Past `timeout` seconds (default: compute_timeout) the work
        is cancelled on the cluster and a ComputeError raised, naming `budget` (default: `timeout`):
        the whole window's time limit, when this call is one of its passes."""
        limit = self.compute_timeout if timeout is None else timeout
        said = limit if budget is None else budget
        client = self.client
        began = time.monotonic()
        try:
            parts = self._parts(pieces)
            if not parts:
                raise ValueError("a window needs at least one piece (an empty DataFrame is one)")
            sent = client.scatter(shared, broadcast=True, hash=False)
            futures = client.compute([delayed(summarise)(part, sent) for part in parts])
            root = client.compute(merge_tree(futures, self.split_every, merge))
            try:
                follow(client, futures, progress, limit)
                left = None if limit is None else max(0.0, limit - (time.monotonic() - began))
                return root.result(timeout=left)
            except BaseException:
                root.cancel()  # a window given up on (a timeout, an interrupt) stops on the cluster too
                client.cancel(futures)
                raise
        except CLUSTER_FAILURES as exc:
            if isinstance(exc, TimeoutError) and limit is not None and time.monotonic() - began >= limit:
                raise ComputeError(
                    f"the Dask cluster at {self.where} did not finish the window within {said:g} s "
                    "(compute.timeout); it was cancelled on the cluster"
                ) from None
            raise ComputeError(
                f"the Dask cluster at {self.where} failed to summarise the window: {exc}"
            ) from None

    def describe(self) -> dict[str, Any]:
        threads = self.client.nthreads()
        return {
            "backend": self.name,
            "scheduler": mask_url_secrets(str(self.client.scheduler_info(n_workers=0)["address"])),
            "local_cluster": self._cluster is not None,
            "workers": len(threads),
            "threads": sum(threads.values()),
        }

    def close(self) -> None:
        """Disconnect; stop the local cluster if this backend started it."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def __enter__(self) -> DaskBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
