"""Any of Evidently's stat tests, by name, as `evidently:<name>` (for example `evidently:anderson`).

Evidently is heavy (seconds to import), so it is imported only when such a test is first asked for,
and never phones home: its three telemetry switches are set before the import (`DO_NOT_TRACK` for
Evidently's own event logger, `ITERATIVE_DO_NOT_TRACK` for the iterative-telemetry library it uses,
`EVIDENTLY_DISABLE_TELEMETRY` for its legacy collector).

A summary holds everything an order-free test needs: the sorted values of a numerical column, the
count of each category. The adapter rebuilds the two samples from them (order is lost, which no
two-sample test depends on) and lets Evidently judge: its verdict, with our threshold, is the
result. Evidently's p-value tests report their score as the p-value; its distances as the statistic.
They have no effect size, so they cannot have a `learned` threshold.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift.base import Direction, DriftTest, TestOutcome, Unjudgeable
from monitor.drift.compact import CompactNumericSummary
from monitor.drift.pair import COMPACT_REASON, ColumnPair
from monitor.drift.summary import CategorySummary, NumericSummary
from monitor.drift.types import ColumnKind, Status

PREFIX = "evidently:"
TELEMETRY_OFF = {"DO_NOT_TRACK": "1", "ITERATIVE_DO_NOT_TRACK": "1", "EVIDENTLY_DISABLE_TELEMETRY": "1"}
# Evidently's tests whose score is a p-value (drifted when below the threshold); read from its sources.
P_VALUE_TESTS = frozenset(
    {"anderson", "chisquare", "cramer_von_mises", "empirical_mmd", "es", "fisher_exact", "g_test", "ks"}
    | {"mannw", "t_test", "TVD", "z"}
)


class EvidentlyUnavailableError(ValueError):
    """Evidently is not installed, or has no stat test by that name."""


def _pandas_compatibility() -> None:
    """Evidently 0.7's legacy package imports `pandas.core.dtypes.common.infer_dtype_from_object`,
    which pandas 3 removed; only its data-integrity test TestColumnsType calls it, never a stat test.
    Without the name the import fails, so the pandas 2 helper is put back (only if missing)."""
    from pandas.core.dtypes import common

    if not hasattr(common, "infer_dtype_from_object"):

        def infer_dtype_from_object(dtype: Any) -> Any:
            return common.pandas_dtype(dtype).type

        common.infer_dtype_from_object = infer_dtype_from_object


def import_evidently() -> None:
    """Switch Evidently's telemetry off, then import it. Safe to call many times."""
    for name, value in TELEMETRY_OFF.items():
        os.environ[name] = value
    _pandas_compatibility()
    try:
        with warnings.catch_warnings():  # its imports touch deprecated pandas options
            warnings.simplefilter("ignore")
            import evidently  # noqa: F401
            from evidently.legacy.calculations import stattests  # noqa: F401
    except ImportError as exc:
        raise EvidentlyUnavailableError(f"evidently:<test> needs the evidently package: {exc}") from None


def _stattests() -> Any:
    import_evidently()
    from evidently.legacy.calculations.stattests import registry

    return registry


def _series(summary: NumericSummary | CategorySummary) -> pd.Series:
    if isinstance(summary, NumericSummary):
        return pd.Series(summary.values)
    return pd.Series(np.repeat(np.array(summary.labels, dtype=object), summary.counts))


class EvidentlyTest(DriftTest):
    """One of Evidently's tests; instances are made by `evidently_test(name)`."""

    learnable = False

    def __init__(self, evidently_name: str) -> None:
        registry = _stattests()
        column_types = registry._registered_stat_tests.get(evidently_name)
        if not column_types:
            known = ", ".join(sorted(registry._registered_stat_tests))
            raise EvidentlyUnavailableError(
                f"Evidently has no stat test {evidently_name!r}; its tests: {known}"
            )
        from evidently.legacy.core import ColumnType

        by_kind = {ColumnKind.NUMERICAL: ColumnType.Numerical, ColumnKind.CATEGORICAL: ColumnType.Categorical}
        self._stat_tests = {kind: column_types[ct] for kind, ct in by_kind.items() if ct in column_types}
        self._column_types = by_kind
        self.evidently_name = evidently_name
        self.name = PREFIX + evidently_name  # type: ignore[misc]
        self.kinds = frozenset(self._stat_tests)  # type: ignore[misc]
        self.default_threshold = next(iter(self._stat_tests.values())).default_threshold  # type: ignore[misc]
        p_value = evidently_name in P_VALUE_TESTS
        self.direction = Direction.P_VALUE if p_value else Direction.DISTANCE  # type: ignore[misc]

    def compare(self, pair: ColumnPair, threshold: float) -> TestOutcome:
        reference, current = pair.reference, pair.current
        if isinstance(current, CompactNumericSummary):
            raise Unjudgeable(Status.NOT_APPLICABLE, COMPACT_REASON)
        if not isinstance(reference, NumericSummary | CategorySummary) or not isinstance(
            current, NumericSummary | CategorySummary
        ):
            raise TypeError("Evidently's tests need numerical values or categories")
        ref, cur = _series(reference), _series(current)
        stat_test = self._stat_tests[pair.kind]
        # Evidently warns freely (pandas deprecations); they belong with the result, not on stderr.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = stat_test(ref, cur, self._column_types[pair.kind], threshold)
        score = float(result.drift_score)
        details: dict[str, Any] = {"evidently_test": self.evidently_name, "drift_score": score}
        messages = list(dict.fromkeys(str(w.message) for w in caught))
        if messages:
            details["warnings"] = messages
        p_value = score if self.direction is Direction.P_VALUE else None
        return TestOutcome(statistic=score, p_value=p_value, details=details, verdict=bool(result.drifted))


_INSTANCES: dict[str, EvidentlyTest] = {}


def evidently_test(name: str) -> EvidentlyTest:
    """The adapter for `evidently:<name>`, made once per process."""
    evidently_name = name.removeprefix(PREFIX)
    if name not in _INSTANCES:
        _INSTANCES[name] = EvidentlyTest(evidently_name)
    return _INSTANCES[name]
