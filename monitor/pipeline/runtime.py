"""What a running service holds: config, database, notifiers, sources, reference profiles, the clock.
Built once by a factory; it holds collaborators and no logic of its own."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.clock import Clock, system_clock
from monitor.config import ComputeConfig, Config, MonitorConfig
from monitor.notify import Notifier, build_notifiers
from monitor.pipeline.estimator_cache import EstimatorCache
from monitor.pipeline.profile_cache import ProfileCache
from monitor.sources import Source, build_source
from monitor.sources.base import Role
from monitor.store import Engine, SessionFactory, make_engine, make_session_factory, transaction
from monitor.store.claims import Leasing
from monitor.store.monitors import sync_monitor

if TYPE_CHECKING:  # a window's computation imports it; building a runtime does not need it
    from monitor.compute import ComputeBackend


@dataclass
class Runtime:
    config: Config
    engine: Engine
    sessions: SessionFactory
    notifiers: dict[str, Notifier]
    clock: Clock = system_clock
    profiles: ProfileCache = field(default_factory=ProfileCache)
    estimators: EstimatorCache = field(default_factory=EstimatorCache)
    # Sources keep connection pools (sql), so they are built once per monitor, role and config version.
    _sources: dict[tuple[str, Role, str], Source] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Dask clusters (connections, or LocalClusters this process started), shared by the monitors
    # whose `compute` settings name the same cluster; closed with the runtime.
    _backends: dict[tuple[str | None, int | None, int, bool, float], ComputeBackend] = field(
        default_factory=dict
    )
    _backend_lock: threading.Lock = field(default_factory=threading.Lock)

    def monitor(self, name: str) -> MonitorConfig:
        try:
            return self.config.monitors[name]
        except KeyError:
            known = ", ".join(sorted(self.config.monitors)) or "none"
            raise KeyError(f"no monitor named {name!r} in the config (known: {known})") from None

    def leasing(self) -> Leasing:
        """How long a run's claim lasts and how often the scheduler attempts a window (`runs`)."""
        runs = self.config.runs
        return Leasing(lease=runs.lease, max_attempts=runs.max_attempts)

    def models(self) -> dict[str, str]:
        """Each monitor's model."""
        return {name: monitor.model for name, monitor in self.config.monitors.items()}

    def source_for(self, name: str, role: Role) -> Source:
        monitor = self.monitor(name)
        config = {
            "predictions": monitor.source,
            "labels": monitor.labels.source if monitor.labels else None,
            "reference": monitor.reference,
        }[role]
        if config is None:
            raise KeyError(f"monitor {name!r} has no labels source")
        key = (name, role, monitor.config_hash())
        with self._lock:
            cached = self._sources.get(key)
            if cached is None:
                cached = build_source(
                    config, self.config.resolve_path, monitor=monitor, role=role, sessions=self.sessions
                )
                self._sources[key] = cached
            return cached

    def segment_reference(self, name: str, segment: str) -> Source:
        """The source of a segment's own reference (`segments.references`)."""
        monitor = self.monitor(name)
        config = monitor.segments.reference_for(segment) if monitor.segments else None
        if config is None:
            raise KeyError(f"segment {segment!r} of monitor {name!r} has no reference of its own")
        key: tuple[str, Role, str] = (f"{name}[{segment}]", "reference", monitor.config_hash())
        with self._lock:
            cached = self._sources.get(key)
            if cached is None:
                cached = build_source(
                    config,
                    self.config.resolve_path,
                    monitor=monitor,
                    role="reference",
                    sessions=self.sessions,
                )
                self._sources[key] = cached
            return cached

    def source(self, name: str) -> Source:
        return self.source_for(name, "predictions")

    def labels_source(self, name: str) -> Source | None:
        return None if self.monitor(name).labels is None else self.source_for(name, "labels")

    def compute_backend(self, compute: ComputeConfig) -> ComputeBackend:
        """The cluster of a monitor's `compute` settings (backend dask), made on first use; it
        connects (or starts its LocalCluster) when first asked to compute."""
        key = compute.cluster_key()
        with self._backend_lock:
            cached = self._backends.get(key)
            if cached is None:
                settings = {"n_workers": compute.workers, "threads_per_worker": compute.threads_per_worker}
                from monitor.compute import build_backend

                cached = build_backend(
                    "dask",
                    address=compute.address,
                    processes=compute.processes,
                    connect_timeout=compute.connect_timeout.total_seconds(),
                    **({} if compute.address is not None else settings),
                )
                self._backends[key] = cached
            return cached

    def close(self) -> None:
        with self._backend_lock:
            backends, self._backends = list(self._backends.values()), {}
        for backend in backends:
            backend.close()
        with self._lock:
            sources, self._sources = list(self._sources.values()), {}
        for source in sources:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        self.engine.dispose()


def build_runtime(config: Config, *, now: datetime, clock: Clock = system_clock) -> Runtime:
    engine = make_engine(config.database_url())
    sessions = make_session_factory(engine)
    runtime = Runtime(
        config=config,
        engine=engine,
        sessions=sessions,
        notifiers=build_notifiers(config.notifiers),
        clock=clock,
    )
    with transaction(sessions) as session:
        for name, monitor in config.monitors.items():
            sync_monitor(
                session=session, name=name, model=monitor.model, config_hash=monitor.config_hash(), now=now
            )
    return runtime
