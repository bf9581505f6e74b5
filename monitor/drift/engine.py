"""Compare two datasets column by column: one TestResult per (column, test) that fits the column.

Which columns: `options.include` in its order if given (a name on neither side is a ValueError),
otherwise the reference's columns then those only the current has. Which tests: the column's own
`options.columns[col].tests` if set, else `options.tests`; a monitor-wide test that does not fit
the column's kind is left out, but a test set for that very column always gets a row (status
`not_applicable` if it does not fit), so a config mistake is visible. Unknown test names raise.

Bad data never raises and never lies. A column that cannot be judged gets, for each of its tests,
a result with statistic None and drifted False, and the first of these statuses that applies:
- `missing_in_reference` / `missing_in_current`: the column exists on one side only;
- `empty_current`: the current window has no rows at all;
- `insufficient_data`: the reference has no rows at all;
- `all_missing`: a side has rows but every value is missing (NaN, None, +-inf);
- `insufficient_data`: a side has fewer than MIN_VALUES_PER_SIDE (2) non-missing values. Two is the
  least that can describe a spread; the p-value tests account for small samples themselves, PSI does
  not, so `details` of every result carries both sample sizes for the reader to weigh.
Constant columns are judged, not skipped: a reference that was always 0 and now varies is real
drift, and KS, chi2 and PSI are all well defined on it (both sides constant on the same value give
statistic 0 and no drift). Constancy is reported in ColumnQuality instead. A test that fails
unexpectedly yields status `error` with the message in details rather than aborting the comparison.

A column is drifted when any of its `ok` tests drifted; drift_share = drifted columns / columns with
at least one `ok` test (0.0 if none); the dataset drifted when that share >= options.drift_share and
at least one column was judged.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift.base import DriftTest, TestOutcome, Values
from monitor.drift.cleaning import CleanValues, clean
from monitor.drift.kinds import infer_kind
from monitor.drift.options import DriftOptions
from monitor.drift.registry import UnknownTestError, get_test, known_tests
from monitor.drift.types import ColumnKind, ColumnQuality, DatasetDrift, Status, TestResult

MIN_VALUES_PER_SIDE = 2


@dataclass(frozen=True)
class _Side:
    """One side of one column: present or not, and its cleaned values."""

    present: bool
    rows: int
    clean: CleanValues | None

    @property
    def count(self) -> int:
        return len(self.clean.values) if self.clean is not None else 0

    @property
    def missing(self) -> int:
        return self.clean.missing if self.clean is not None else 0


def _columns_by_name(frame: pd.DataFrame, side: str) -> dict[str, Hashable]:
    names = [str(c) for c in frame.columns]
    duplicated = sorted(n for n, times in Counter(names).items() if times > 1)
    if duplicated:
        raise ValueError(f"{side} has duplicated column names: {', '.join(duplicated)}")
    return dict(zip(names, frame.columns, strict=True))


def _columns_to_judge(
    reference: dict[str, Hashable], current: dict[str, Hashable], include: Sequence[str] | None
) -> list[str]:
    if include is None:
        return list(reference) + [name for name in current if name not in reference]
    unknown = [name for name in include if name not in reference and name not in current]
    if unknown:
        available = sorted(set(reference) | set(current))
        shown = ", ".join(available[:30]) + (", ..." if len(available) > 30 else "")
        raise ValueError(f"columns not found in either dataset: {', '.join(unknown)}; available: {shown}")
    return list(dict.fromkeys(include))  # keep the caller's order, drop repeats


def _check_test_names(options: DriftOptions) -> None:
    named = list(options.tests) + [t for col in options.columns.values() for t in (col.tests or ())]
    unknown = sorted({name for name in named if name not in known_tests()})
    if unknown:
        known = ", ".join(known_tests())
        raise UnknownTestError(f"unknown drift test(s): {', '.join(unknown)}; known tests: {known}")


def _kind(
    name: str, reference: pd.Series | None, current: pd.Series | None, options: DriftOptions
) -> tuple[ColumnKind, str]:
    column_options = options.columns.get(name)
    if column_options is not None and column_options.kind is not None:
        return ColumnKind(column_options.kind), "set in options"
    # The reference is the baseline, so it decides; the current only when the reference has nothing.
    if reference is not None and (current is None or reference.notna().any()):
        return infer_kind(reference)
    assert current is not None
    return infer_kind(current)


def _why_unjudgeable(reference: _Side, current: _Side) -> tuple[Status, str] | None:
    if not reference.present:
        return Status.MISSING_IN_REFERENCE, "the column is not in the reference"
    if not current.present:
        return Status.MISSING_IN_CURRENT, "the column is not in the current data"
    if current.rows == 0:
        return Status.EMPTY_CURRENT, "the current window has no rows"
    if reference.rows == 0:
        return Status.INSUFFICIENT_DATA, "the reference has no rows"
    for side, label in ((reference, "reference"), (current, "current")):
        if side.count == 0:
            return Status.ALL_MISSING, f"all {side.rows} {label} values are missing"
    for side, label in ((reference, "reference"), (current, "current")):
        if side.count < MIN_VALUES_PER_SIDE:
            return (
                Status.INSUFFICIENT_DATA,
                f"{side.count} non-missing {label} value(s), fewer than {MIN_VALUES_PER_SIDE}",
            )
    return None


def _run_test(
    test: DriftTest, reference: _Side, current: _Side, kind: ColumnKind
) -> tuple[Status, TestOutcome]:
    assert reference.clean is not None and current.clean is not None
    # scipy warns about what it did (e.g. ks_2samp falling back from exact to asymptotic p-values);
    # that belongs with the result, not on stderr. catch_warnings is process-global state, so a
    # warning another thread raises at the same moment may land here too: harmless, just misplaced.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = test.compute(reference.clean.values, current.clean.values, kind)
        except Exception as exc:  # one odd column must not abort the whole comparison
            return Status.ERROR, TestOutcome(math.nan, None, {"reason": f"{type(exc).__name__}: {exc}"})
    if caught:
        messages = list(dict.fromkeys(str(w.message) for w in caught))
        outcome = TestOutcome(outcome.statistic, outcome.p_value, {**outcome.details, "warnings": messages})
    p_value_ok = outcome.p_value is None or math.isfinite(outcome.p_value)
    if not math.isfinite(outcome.statistic) or not p_value_ok:
        details = {**outcome.details, "reason": "non-finite statistic or p-value"}
        return Status.ERROR, TestOutcome(math.nan, None, details)
    return Status.OK, outcome


def _unjudged(
    name: str, kind: ColumnKind, test: DriftTest, threshold: float, status: Status, details: dict[str, Any]
) -> TestResult:
    return TestResult(name, kind, test.name, None, None, threshold, False, status, details)


def _judge_column(
    name: str, kind: ColumnKind, reference: _Side, current: _Side, options: DriftOptions
) -> list[TestResult]:
    column_options = options.columns.get(name)
    column_tests = column_options.tests if column_options is not None else None
    explicit = column_tests is not None
    test_names = column_tests if column_tests is not None else options.tests
    unjudgeable = _why_unjudgeable(reference, current)
    sizes: dict[str, Any] = {"reference_n": reference.count, "current_n": current.count}
    if reference.clean is not None and reference.clean.non_numeric:
        sizes["reference_non_numeric"] = reference.clean.non_numeric
    if current.clean is not None and current.clean.non_numeric:
        sizes["current_non_numeric"] = current.clean.non_numeric
    results = []
    for test_name in dict.fromkeys(test_names):
        test = get_test(test_name)
        threshold = options.threshold_for(name, test.name, test.default_threshold)
        if not test.accepts(kind):
            if explicit:
                reason = f"{test.name} does not apply to {kind} columns"
                results.append(
                    _unjudged(name, kind, test, threshold, Status.NOT_APPLICABLE, {"reason": reason})
                )
            continue
        if unjudgeable is not None:
            status, reason = unjudgeable
            results.append(_unjudged(name, kind, test, threshold, status, {**sizes, "reason": reason}))
            continue
        status, outcome = _run_test(test, reference, current, kind)
        ok = status is Status.OK
        results.append(
            TestResult(
                column=name,
                kind=kind,
                test=test.name,
                statistic=outcome.statistic if ok else None,
                p_value=outcome.p_value if ok else None,
                threshold=threshold,
                drifted=ok and test.is_drifted(outcome, threshold),
                status=status,
                details={**sizes, **outcome.details},
            )
        )
    return results


def _side(frame: pd.DataFrame, column: Hashable | None, kind: ColumnKind) -> _Side:
    if column is None:
        return _Side(present=False, rows=len(frame), clean=None)
    return _Side(present=True, rows=len(frame), clean=clean(frame[column], kind))


def _quality(name: str, kind: ColumnKind, reason: str, reference: _Side, current: _Side) -> ColumnQuality:
    def distinct(side: _Side) -> Values:  # hashing, not sorting: a million rows stay cheap
        return pd.unique(side.clean.values) if side.clean is not None else np.array([])

    ref_distinct, cur_distinct = distinct(reference), distinct(current)
    new: tuple[str, ...] = ()
    if kind is ColumnKind.CATEGORICAL and reference.present:
        new = tuple(sorted(str(v) for v in set(cur_distinct) - set(ref_distinct)))
    return ColumnQuality(
        column=name,
        kind=kind,
        kind_reason=reason,
        reference_missing=reference.missing,
        current_missing=current.missing,
        reference_count=reference.count,
        current_count=current.count,
        new_categories=new,
        reference_constant=len(ref_distinct) == 1,
        current_constant=len(cur_distinct) == 1,
    )


def compare_datasets(
    reference: pd.DataFrame, current: pd.DataFrame, options: DriftOptions | None = None
) -> DatasetDrift:
    options = options if options is not None else DriftOptions()
    _check_test_names(options)
    reference_columns = _columns_by_name(reference, "reference")
    current_columns = _columns_by_name(current, "current")
    results: list[TestResult] = []
    qualities: list[ColumnQuality] = []
    judged: list[str] = []
    drifted: list[str] = []
    for name in _columns_to_judge(reference_columns, current_columns, options.include):
        ref_column, cur_column = reference_columns.get(name), current_columns.get(name)
        kind, reason = _kind(
            name,
            reference[ref_column] if ref_column is not None else None,
            current[cur_column] if cur_column is not None else None,
            options,
        )
        ref_side, cur_side = _side(reference, ref_column, kind), _side(current, cur_column, kind)
        column_results = _judge_column(name, kind, ref_side, cur_side, options)
        results.extend(column_results)
        qualities.append(_quality(name, kind, reason, ref_side, cur_side))
        ok_results = [r for r in column_results if r.status is Status.OK]
        if ok_results:
            judged.append(name)
            if any(r.drifted for r in ok_results):
                drifted.append(name)
    drift_share = len(drifted) / len(judged) if judged else 0.0
    return DatasetDrift(
        reference_rows=len(reference),
        current_rows=len(current),
        results=tuple(results),
        columns=tuple(qualities),
        drifted_columns=tuple(drifted),
        drift_share=drift_share,
        dataset_drifted=bool(judged) and drift_share >= options.drift_share,
    )
