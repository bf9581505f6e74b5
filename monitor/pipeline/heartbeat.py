"""A run's heartbeat: while a window computes, its claim's lease is renewed every third of the lease,
so a live process keeps the window and a dead one loses it when the lease runs out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType

from monitor.store import SessionFactory
from monitor.store.claims import renew_lease

logger = logging.getLogger(__name__)


class Heartbeat:
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        run_id: int,
        token: str,
        lease: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions, self.run_id, self.token, self.lease, self.clock = sessions, run_id, token, lease, clock
        self.lost = False  # the claim was taken over: this attempt's results must not be stored
        self.released = False  # the attempt's own commit released the claim: the beat ended quietly
        self._stop = threading.Event()
        self._storing = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-run-{run_id}", daemon=True)

    def _beat(self) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.5)
        while not self._stop.wait(interval):
            try:
                if not renew_lease(
                    self.sessions, run_id=self.run_id, token=self.token, until=self.clock() + self.lease
                ):
                    if self._storing.is_set():
                        # The attempt is committing (or has committed: its claim is released), and
                        # that transaction checks the claim itself (ClaimLost): nothing to report.
                        self.released = True
                        return
                    self.lost = True
                    logger.warning(
                        "run %s: its claim was taken over; this attempt will not be stored", self.run_id
                    )
                    return
            except Exception:  # a database blip: the next beat tries again before the lease runs out
                logger.warning("run %s: the heartbeat could not renew its lease", self.run_id, exc_info=True)

    def storing(self) -> None:
        """The attempt is about to store its results: a renewal refused from now on means that its
        own commit released the claim, not that another process took it over."""
        self._storing.set()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
