"""Test glue: partial summaries of a Dask DataFrame's partitions, computed and merged on a cluster,
where only the merged summary comes back to the client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import dask.dataframe as dd
import pandas as pd
from dask.delayed import Delayed, delayed
from distributed import Client

S = TypeVar("S")


def tree_merge(pieces: list[Delayed], merge: Callable[[Any, Any], Any]) -> Delayed:
    """The pieces merged pairwise, level by level, on the cluster."""
    level = list(pieces)
    while len(level) > 1:
        pairs = range(0, len(level) - 1, 2)
        merged = [delayed(merge)(level[i], level[i + 1]) for i in pairs]
        level = merged + ([level[-1]] if len(level) % 2 else [])
    return level[0]


def merged_summary(
    client: Client,
    frame: dd.DataFrame,
    summarise: Callable[[pd.DataFrame], S],
    merge: Callable[[S, S], S],
    timeout: float = 120,
) -> S:
    """summarise(partition) for each partition of `frame` on the workers, merged there as a tree."""
    pieces = [delayed(summarise)(part) for part in frame.to_delayed()]
    result: S = client.compute(tree_merge(pieces, merge)).result(timeout=timeout)
    return result
