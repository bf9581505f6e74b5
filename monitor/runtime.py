"""What a running service holds: config, database, notifiers, cached references. Built by a factory."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.config import Config, MonitorConfig
from monitor.notify import Notifier, build_notifiers
from monitor.sources import Source, build_source
from monitor.sources.base import Role
from monitor.store import repository
from monitor.store.engine import make_engine, make_session_factory, transaction


@dataclass
class Runtime:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    notifiers: dict[str, Notifier]
    _references: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    # Sources keep connection pools (sql), so they are built once per monitor, role and config version.
    _sources: dict[tuple[str, Role, str], Source] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def monitor(self, name: str) -> MonitorConfig:
        try:
            return self.config.monitors[name]
        except KeyError:
            known = ", ".join(sorted(self.config.monitors)) or "none"
            raise KeyError(f"no monitor named {name!r} in the config (known: {known})") from None

    def _source(self, name: str, role: Role, config: object) -> Source:
        monitor = self.monitor(name)
        key = (name, role, config_hash(monitor))
        with self._lock:
            cached = self._sources.get(key)
            if cached is None:
                cached = build_source(
                    config, self.config.resolve_path, monitor=monitor, role=role, sessions=self.sessions
                )
                self._sources[key] = cached
            return cached

    def source(self, name: str) -> Source:
        return self._source(name, "predictions", self.monitor(name).source)

    def labels_source(self, name: str) -> Source | None:
        labels = self.monitor(name).labels
        return None if labels is None else self._source(name, "labels", labels.source)

    def reference(self, name: str) -> pd.DataFrame:
        """The reference data, read once per process and config version."""
        key = (name, config_hash(self.monitor(name)))
        with self._lock:
            cached = self._references.get(key)
        if cached is not None:
            return cached
        frame = self._source(name, "reference", self.monitor(name).reference).read()
        with self._lock:
            self._references[key] = frame
        return frame

    def close(self) -> None:
        with self._lock:
            sources, self._sources = list(self._sources.values()), {}
        for source in sources:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        self.engine.dispose()


def config_hash(monitor: MonitorConfig) -> str:
    dumped = json.dumps(monitor.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(dumped.encode()).hexdigest()


def build_runtime(config: Config, *, now: datetime) -> Runtime:
    engine = make_engine(config.database_url())
    sessions = make_session_factory(engine)
    runtime = Runtime(
        config=config, engine=engine, sessions=sessions, notifiers=build_notifiers(config.notifiers)
    )
    with transaction(sessions) as session:
        for name, monitor in config.monitors.items():
            repository.sync_monitor(
                session=session, name=name, model=monitor.model, config_hash=config_hash(monitor), now=now
            )
    return runtime
