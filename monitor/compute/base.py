"""The compute backend interface and its registry.

A backend summarises a current window, given in pieces, against a reference profile, and returns the
window's merged CurrentSummary; the comparison itself (`compare_summaries`) is cheap and runs where
the caller is. `local` summarises in this process; `dask` on a dask.distributed cluster (imported
only when asked for: the `dask` extra installs it). Results are the same whichever computed them,
except where a result says otherwise (docs/performance.md, "Dask backend: what is exact").
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol

from monitor.drift import CurrentSummary, DatasetDrift, DriftOptions, ReferenceProfile, compare_summaries
from monitor.errors import UserError


class ComputeError(UserError):
    """A backend that cannot run: a cluster unreachable or lost, a setting it does not know."""


class ComputeBackend(Protocol):
    name: str

    def summarise_window(
        self, pieces: Any, profile: ReferenceProfile, options: DriftOptions | None = None
    ) -> CurrentSummary:
        """The current window's summary: `pieces` is a pandas DataFrame, a list of them, a dask
        DataFrame, or a list of dask.delayed pandas DataFrames (what each backend accepts: its doc)."""
        ...

    def describe(self) -> dict[str, Any]:
        """What a run's page shows of where it was computed (JSON-able): backend, address, workers."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> ComputeBackend: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...


BackendFactory = Callable[..., ComputeBackend]
_REGISTRY: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    _REGISTRY[name] = factory


def known_backends() -> tuple[str, ...]:
    _register_builtins()
    return tuple(sorted(_REGISTRY))


def build_backend(name: str, **settings: Any) -> ComputeBackend:
    """The backend called `name`, made with its settings (see each backend's constructor)."""
    _register_builtins()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ComputeError(
            f"unknown compute backend {name!r}; known: {', '.join(known_backends())}"
        ) from None
    return factory(**settings)


def compare_window(
    backend: ComputeBackend, pieces: Any, profile: ReferenceProfile, options: DriftOptions | None = None
) -> DatasetDrift:
    """The window summarised on `backend`, judged here against `profile`."""
    return compare_summaries(profile, backend.summarise_window(pieces, profile, options), options)


def _dask_backend(**settings: Any) -> ComputeBackend:
    try:
        from monitor.compute.dask_backend import DaskBackend
    except ImportError as exc:
        raise ComputeError(
            f"the dask compute backend needs the dask extra (pip install 'model-monitor[dask]'): {exc}"
        ) from None
    return DaskBackend(**settings)


def _register_builtins() -> None:
    from monitor.compute.local import LocalBackend

    _REGISTRY.setdefault("local", LocalBackend)
    _REGISTRY.setdefault("dask", _dask_backend)
