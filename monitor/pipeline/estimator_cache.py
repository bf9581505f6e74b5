"""The runtime's cache of fitted performance estimators (monitor.pipeline.estimates)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.metrics.estimator import PerformanceEstimator


@dataclass
class EstimatorCache:
    """Fitted estimators by (monitor, settings, reference fingerprint); or why none could be fitted,
    so a reference without labels is read once, not at every window."""

    _found: dict[tuple[str, str, str | None], PerformanceEstimator | str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: tuple[str, str, str | None]) -> PerformanceEstimator | str | None:
        with self._lock:
            return self._found.get(key)

    def remember(self, key: tuple[str, str, str | None], found: PerformanceEstimator | str) -> None:
        with self._lock:
            for old in [k for k in self._found if k[0] == key[0]]:
                del self._found[old]  # one per monitor: the one its current settings give
            self._found[key] = found
