"""Columns in threads, when it pays.

The work per column is sorting, binary searches and hashing in numpy and pandas, which release the
GIL, so threads give real parallelism without copying data to other processes. Below PARALLEL_CELLS
values in total the thread start-up costs more than it saves, so small comparisons stay serial.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

PARALLEL_CELLS = 500_000


def workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_columns(
    work: Callable[[str], T], names: Sequence[str], *, parallel: bool | None, cells: int
) -> list[T]:
    """`work(name)` for every name, results in the names' order."""
    threads = min(workers(), len(names))
    use_threads = threads > 1 and (parallel if parallel is not None else cells >= PARALLEL_CELLS)
    if not use_threads:
        return [work(name) for name in names]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="drift") as pool:
        return list(pool.map(work, names))
