"""The runtime's cache of reference profiles (monitor.pipeline.reference). Apart from reference.py so
that a runtime can be built without importing the drift engine (a command that only manages keys
starts in a fraction of the time)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.drift import ReferenceProfile


@dataclass
class ProfileCache:
    """Profiles by key in this process; and, for sources that cannot be fingerprinted without reading
    them, the key found for (monitor, config hash) when the reference was last read."""

    _profiles: dict[str, ReferenceProfile] = field(default_factory=dict)
    _keys: dict[tuple[str, str], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: str) -> ReferenceProfile | None:
        with self._lock:
            return self._profiles.get(key)

    def remember(self, name: str, config_hash: str, key: str, profile: ReferenceProfile) -> None:
        with self._lock:
            # One profile per monitor is enough: the one its current settings and data give.
            for (monitor, _), old in list(self._keys.items()):
                if monitor == name and old != key:
                    self._profiles.pop(old, None)
            self._profiles[key] = profile
            self._keys[(name, config_hash)] = key

    def known_key(self, name: str, config_hash: str) -> str | None:
        with self._lock:
            return self._keys.get((name, config_hash))
