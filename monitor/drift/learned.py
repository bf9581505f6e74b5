"""`learned` thresholds: how far the reference drifts from itself, as NannyML sets its thresholds.

The reference's values are cut into `chunks` consecutive pieces in row order (chunk i holds rows
i*n//chunks to (i+1)*n//chunks - 1, so a time-ordered reference gives periods of time), each piece is
compared with the whole reference by the test, and the threshold is
mean + std_multiplier * std of those chunk values (numpy's population std, as NannyML). A window is
drifted when its value reaches the threshold. The value is the statistic of a distance, and the
effect size of a p-value test (KS statistic, Cramér's V): a chunk's p-value against the whole it is
part of says nothing useful, its effect size says how much the reference varies by itself.

Chunk values depend on chunk size; the threshold fits windows of about the chunks' size (reference
rows / chunks), so set `chunks` accordingly. Because chunks follow row order, a learned threshold,
unlike everything else in the engine, depends on the order of the reference's rows (by design:
consecutive rows are how natural variation over time shows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift.base import DriftTest, Unjudgeable
from monitor.drift.options import LearnedOptions
from monitor.drift.pair import ColumnPair
from monitor.drift.summary import Summary, summarise
from monitor.drift.types import ColumnKind


@dataclass(frozen=True)
class LearnedThreshold:
    test: str
    value: float | None  # None: could not be learned; `reason` says why
    chunk_values: tuple[float, ...] = ()
    mean: float | None = None
    std: float | None = None
    chunks: int = 0
    std_multiplier: float = 0.0
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "value": self.value,
            "chunk_values": list(self.chunk_values),
            "mean": self.mean,
            "std": self.std,
            "chunks": self.chunks,
            "std_multiplier": self.std_multiplier,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearnedThreshold:
        return cls(**{**data, "chunk_values": tuple(data["chunk_values"])})


def chunk_bounds(rows: int, chunks: int) -> list[tuple[int, int]]:
    return [(i * rows // chunks, (i + 1) * rows // chunks) for i in range(chunks)]


def learn_threshold(
    test: DriftTest, reference: pd.Series, kind: ColumnKind, whole: Summary, options: LearnedOptions
) -> LearnedThreshold:
    def unlearned(reason: str) -> LearnedThreshold:
        return LearnedThreshold(test.name, None, chunks=options.chunks, reason=reason)

    if not test.learnable:
        return unlearned(f"{test.name} has no effect size to learn a threshold on")
    values = []
    for i, (start, stop) in enumerate(chunk_bounds(len(reference), options.chunks)):
        chunk = summarise(reference.iloc[start:stop], kind)
        if chunk.count < test.min_values:
            return unlearned(
                f"reference chunk {i + 1} of {options.chunks} has {chunk.count} values, "
                f"fewer than the {test.min_values} {test.name} needs"
            )
        try:
            with np.errstate(all="ignore"):
                outcome = test.compare(ColumnPair(whole, chunk), test.default_threshold)
        except Unjudgeable as exc:
            return unlearned(exc.reason)
        value = test.learned_value(outcome)
        if value is None or not math.isfinite(value):
            return unlearned(f"{test.name} gave no finite value on reference chunk {i + 1}")
        values.append(value)
    mean, std = float(np.mean(values)), float(np.std(values))
    return LearnedThreshold(
        test=test.name,
        value=mean + options.std_multiplier * std,
        chunk_values=tuple(values),
        mean=mean,
        std=std,
        chunks=options.chunks,
        std_multiplier=options.std_multiplier,
    )
