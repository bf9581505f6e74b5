"""A window given to the dask backend as reads to run on the workers: one task per piece (a time range
of a SQL source, say), so no row of the window passes through the service's process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd


def read_pieces(read: Callable[..., pd.DataFrame], arguments: Sequence[tuple[Any, ...]]) -> list[Any]:
    """`read(*args)` for each args, as dask.delayed tasks (not run here); `read` must pickle (a
    module-level function or a functools.partial of one), since it runs on the workers."""
    from dask.delayed import delayed  # dask is an optional dependency, needed only by its backend

    return [delayed(read, pure=False)(*args) for args in arguments]
