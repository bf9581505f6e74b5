"""What a running service holds: config, database, notifiers, reference profiles. Built by a factory."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.config import Config, MonitorConfig
from monitor.drift import ReferenceProfile
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
    # Sources keep connection pools (sql), so they are built once per monitor, role and config version.
    _sources: dict[tuple[str, Role, str], Source] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Reference profiles by profile key; and, for sources that cannot be fingerprinted without
    # reading them, the key found for (monitor, config hash) when the reference was last read.
    _profiles: dict[str, ReferenceProfile] = field(default_factory=dict)
    _profile_keys: dict[tuple[str, str], str] = field(default_factory=dict)

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

    def reference_fingerprint(self, name: str) -> str | None:
        """A cheap hash of the reference's files (paths, sizes, modification times): a new or changed
        file changes it, so a stored profile is rebuilt. None when the source has no files to stat."""
        source = self.monitor(name).reference
        if source.type != "files":
            return None
        paths = sorted(glob.glob(str(self.config.resolve_path(source.path)), recursive=True))
        if not paths:
            return None  # reading will fail with a clear message
        stats = []
        for path in paths:
            try:
                info = os.stat(path)
            except OSError:
                return None
            stats.append((path, info.st_size, info.st_mtime_ns))
        return hashlib.sha256(json.dumps(stats).encode()).hexdigest()

    def read_reference(self, name: str) -> pd.DataFrame:
        """The reference data, read now and not kept (its profile is what stays)."""
        return self._source(name, "reference", self.monitor(name).reference).read()

    def cached_profile(self, key: str) -> ReferenceProfile | None:
        with self._lock:
            return self._profiles.get(key)

    def remember_profile(self, name: str, key: str, profile: ReferenceProfile) -> None:
        with self._lock:
            # One profile per monitor is enough: the one its current settings and data give.
            stale = [k for (monitor, _), k in self._profile_keys.items() if monitor == name and k != key]
            for old in stale:
                self._profiles.pop(old, None)
            self._profiles[key] = profile
            self._profile_keys[(name, config_hash(self.monitor(name)))] = key

    def known_profile_key(self, name: str) -> str | None:
        with self._lock:
            return self._profile_keys.get((name, config_hash(self.monitor(name))))

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
