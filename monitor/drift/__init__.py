"""Drift engine: compare a reference and a current dataset, column by column. Pure code, no I/O."""

from monitor.drift.base import Direction, DriftTest, TestOutcome, Unjudgeable
from monitor.drift.current import CurrentSummary, summarise_current
from monitor.drift.engine import MIN_VALUES_PER_SIDE, check_options, compare_datasets, compare_summaries
from monitor.drift.kinds import infer_kind
from monitor.drift.options import (
    AUTO,
    BENJAMINI_HOCHBERG,
    BENJAMINI_YEKUTIELI,
    CONTRACT_TESTS,
    CORRECTION_AUTO,
    DEFAULT_TESTS,
    LEARNED,
    ColumnOptions,
    DriftOptions,
    ImportanceOptions,
    LearnedOptions,
    MonteCarloOptions,
    MultivariateOptions,
)
from monitor.drift.plan import SummaryPlan, compact_plan, summarise_piece
from monitor.drift.profile import ColumnProfile, ReferenceProfile, build_profile
from monitor.drift.registry import UnknownTestError, get_test, known_tests, register
from monitor.drift.types import ColumnKind, ColumnQuality, DatasetDrift, Status, TestResult

__all__ = [
    "AUTO",
    "BENJAMINI_HOCHBERG",
    "BENJAMINI_YEKUTIELI",
    "CONTRACT_TESTS",
    "CORRECTION_AUTO",
    "DEFAULT_TESTS",
    "LEARNED",
    "MIN_VALUES_PER_SIDE",
    "ColumnKind",
    "ColumnOptions",
    "ColumnProfile",
    "ColumnQuality",
    "CurrentSummary",
    "DatasetDrift",
    "Direction",
    "DriftOptions",
    "DriftTest",
    "ImportanceOptions",
    "LearnedOptions",
    "MonteCarloOptions",
    "MultivariateOptions",
    "ReferenceProfile",
    "Status",
    "SummaryPlan",
    "TestOutcome",
    "TestResult",
    "Unjudgeable",
    "UnknownTestError",
    "build_profile",
    "check_options",
    "compact_plan",
    "compare_datasets",
    "compare_summaries",
    "get_test",
    "infer_kind",
    "known_tests",
    "register",
    "summarise_current",
    "summarise_piece",
]
