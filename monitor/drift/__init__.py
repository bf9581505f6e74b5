"""Drift engine: compare a reference and a current dataset, column by column. Pure code, no I/O."""

from monitor.drift.base import Direction, DriftTest, TestOutcome
from monitor.drift.engine import MIN_VALUES_PER_SIDE, compare_datasets
from monitor.drift.kinds import infer_kind
from monitor.drift.options import DEFAULT_TESTS, ColumnOptions, DriftOptions
from monitor.drift.registry import UnknownTestError, get_test, known_tests, register
from monitor.drift.types import ColumnKind, ColumnQuality, DatasetDrift, Status, TestResult

__all__ = [
    "DEFAULT_TESTS",
    "MIN_VALUES_PER_SIDE",
    "ColumnKind",
    "ColumnOptions",
    "ColumnQuality",
    "DatasetDrift",
    "Direction",
    "DriftOptions",
    "DriftTest",
    "Status",
    "TestOutcome",
    "TestResult",
    "UnknownTestError",
    "compare_datasets",
    "get_test",
    "infer_kind",
    "known_tests",
    "register",
]
