"""Compute backends: where a current window is summarised (this process, or a Dask cluster).

The integrator's calls: `build_backend("local" | "dask", **settings)`, then `compare_window(backend,
pieces, profile, options)` (or `backend.summarise_window(...)` and `compare_summaries` from
monitor.drift), and `backend.describe()` for the run's page; close the backend (it is a context
manager). `read_parquet_window` gives a files source's window as a dask DataFrame for the dask backend,
`read_pieces` any other source's window as reads to run on the workers (a SQL source's time ranges).
"""

from monitor.compute.base import (
    ComputeBackend,
    ComputeError,
    build_backend,
    compare_window,
    known_backends,
    register_backend,
)
from monitor.compute.local import LocalBackend
from monitor.compute.parquet import parquet_paths, read_parquet_window
from monitor.compute.pieces import read_pieces

__all__ = [
    "ComputeBackend",
    "ComputeError",
    "LocalBackend",
    "build_backend",
    "compare_window",
    "known_backends",
    "parquet_paths",
    "read_parquet_window",
    "read_pieces",
    "register_backend",
]
