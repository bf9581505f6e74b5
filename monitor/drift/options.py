"""What a caller asks of the drift engine. Mirrors the `drift:` block of a monitor's config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.drift.types import ColumnKind

DEFAULT_TESTS: tuple[str, ...] = ("ks", "chi2", "psi")


@dataclass(frozen=True)
class ColumnOptions:
    kind: ColumnKind | None = None  # None: inferred from dtype and cardinality
    tests: tuple[str, ...] | None = None  # None: the monitor's tests
    thresholds: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DriftOptions:
    tests: tuple[str, ...] = DEFAULT_TESTS  # each runs on the columns whose kind it accepts
    thresholds: Mapping[str, float] = field(default_factory=dict)  # per test, monitor-wide
    columns: Mapping[str, ColumnOptions] = field(default_factory=dict)
    include: tuple[str, ...] | None = None  # None: every column both sides share
    drift_share: float = 0.5  # dataset drifted when this share of judged columns drifted

    def threshold_for(self, column: str, test: str, default: float) -> float:
        col = self.columns.get(column)
        if col is not None and test in col.thresholds:
            return col.thresholds[test]
        return self.thresholds.get(test, default)
