"""Where a run's window is computed and how far it got: written while the run holds its claim.

`start_compute` records the backend, the cluster's address and workers, and the partitions to do (at
the start of an attempt, so a retry starts again from none done); `record_progress` the partitions
done so far. Both write only while the claim is ours (the token), and never touch results.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from monitor.store.claims import update_claimed_run


def start_compute(
    factory: sessionmaker[Session],
    *,
    run_id: int,
    token: str,
    backend: str,
    address: str | None = None,
    workers: int | None = None,
    partitions: int | None = None,
) -> bool:
    """The attempt's backend, address, workers and partitions to do, none done yet; False: the claim
    is no longer ours."""
    values = {
        "compute_backend": backend,
        "compute_address": None if address is None else address[:300],
        "compute_workers": workers,
        "partitions_total": partitions,
        "partitions_done": 0 if partitions is not None else None,
    }
    return update_claimed_run(factory, run_id, token, values)


def record_progress(
    factory: sessionmaker[Session], *, run_id: int, token: str, done: int, total: int
) -> bool:
    """`done` of `total` partitions summarised; False: the claim is no longer ours."""
    return update_claimed_run(factory, run_id, token, {"partitions_done": done, "partitions_total": total})
