"""One column judged: which tests, each test's threshold and verdict, and the column's quality facts.

The engine (engine.py) pairs each column's two sides and hands them here; see its docstring for the
statuses of columns that cannot be judged. For a p-value test that `auto` chose and that keeps its
default threshold, the p-value is also calibrated for the reference's own sampling error
(calibration.py) and the result joins the family `correction: auto` adjusts (correction.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.drift.auto import auto_default_threshold, choose_test
from monitor.drift.base import Direction, DriftTest, TestOutcome, Unjudgeable
from monitor.drift.calibration import calibrated_p_value
from monitor.drift.compact import CompactNumericSummary
from monitor.drift.learned import LearnedThreshold
from monitor.drift.options import AUTO, LEARNED, DriftOptions
from monitor.drift.pair import ColumnPair, CurrentSide
from monitor.drift.profile import ColumnProfile
from monitor.drift.registry import get_test
from monitor.drift.summary import CategorySummary, NumericSummary, Summary
from monitor.drift.types import ColumnKind, ColumnQuality, Status, TestResult

MIN_VALUES_PER_SIDE = 2


@dataclass(frozen=True)
class Column:
    """One column's two sides as the engine judges them."""

    name: str
    kind: ColumnKind
    kind_reason: str
    reference: ColumnProfile | None
    current: CurrentSide | None  # compact when summarised in pieces (compact.py)
    reference_rows: int
    current_rows: int

    def count(self, side: CurrentSide | None) -> int:
        return side.count if side is not None else 0

    @property
    def ref_summary(self) -> Summary | None:
        return self.reference.summary if self.reference is not None else None


def _why_unjudgeable(column: Column) -> tuple[Status, str] | None:
    if column.reference is None:
        return Status.MISSING_IN_REFERENCE, "the column is not in the reference"
    if column.current is None:
        return Status.MISSING_IN_CURRENT, "the column is not in the current data"
    if column.current_rows == 0:
        return Status.EMPTY_CURRENT, "the current window has no rows"
    if column.reference_rows == 0:
        return Status.INSUFFICIENT_DATA, "the reference has no rows"
    sides = ((column.ref_summary, "reference"), (column.current, "current"))
    for side, label in sides:
        if column.count(side) == 0:
            rows = side.rows if side is not None else 0
            return Status.ALL_MISSING, f"all {rows} {label} values are missing"
    for side, label in sides:
        if column.count(side) < MIN_VALUES_PER_SIDE:
            return (
                Status.INSUFFICIENT_DATA,
                f"{column.count(side)} non-missing {label} value(s), fewer than {MIN_VALUES_PER_SIDE}",
            )
    return None


def _test_names(
    column: Column, options: DriftOptions, pair: ColumnPair | None
) -> tuple[list[tuple[str, str | None]], bool]:
    """(test name, why it was chosen) pairs, and whether the column's own options named them."""
    column_options = options.columns.get(column.name)
    column_tests = column_options.tests if column_options is not None else None
    names = column_tests if column_tests is not None else options.tests
    chosen: dict[str, str | None] = {}
    for name in names:
        if name != AUTO:
            chosen.setdefault(name, None)
            continue

        def threshold_of(test: str) -> float:
            default = auto_default_threshold(test, get_test(test).default_threshold)
            return options.fixed_threshold(column.name, test, default)

        auto_name, why = choose_test(column.kind, column.ref_summary, column.current, threshold_of, pair)
        if auto_name is not None:
            chosen.setdefault(auto_name, why)
    return list(chosen.items()), column_tests is not None


def _run(test: DriftTest, pair: ColumnPair, threshold: float) -> tuple[Status, TestOutcome]:
    try:
        with np.errstate(all="ignore"):  # non-finite results are checked below, not warned about
            outcome = test.compare(pair, threshold)
    except Unjudgeable as exc:
        return exc.status, TestOutcome(math.nan, None, {"reason": exc.reason})
    except Exception as exc:  # one odd column must not abort the whole comparison
        return Status.ERROR, TestOutcome(math.nan, None, {"reason": f"{type(exc).__name__}: {exc}"})
    p_value_ok = outcome.p_value is None or math.isfinite(outcome.p_value)
    if not math.isfinite(outcome.statistic) or not p_value_ok:
        details = {**outcome.details, "reason": "non-finite statistic or p-value"}
        return Status.ERROR, TestOutcome(math.nan, None, details)
    return Status.OK, outcome


def _sizes(column: Column, why: str | None) -> dict[str, Any]:
    """What every result of the column records: how many values each side had, and why the test."""
    sizes: dict[str, Any] = {
        "reference_n": column.count(column.ref_summary),
        "current_n": column.count(column.current),
    }
    for side, label in ((column.ref_summary, "reference"), (column.current, "current")):
        if isinstance(side, NumericSummary | CompactNumericSummary) and side.non_numeric:
            sizes[f"{label}_non_numeric"] = side.non_numeric
    if why is not None:
        sizes["chosen_by"] = why
    return sizes


def _threshold(
    column: Column, test: DriftTest, options: DriftOptions, sizes: dict[str, Any]
) -> tuple[float, LearnedThreshold | None, bool]:
    """The test's threshold for the column, the learned one when the options ask for it (noted in
    `sizes`), and whether it was asked for."""
    learned = column.reference.learned.get(test.name) if column.reference is not None else None
    default = test.default_threshold
    if "chosen_by" in sizes:  # auto's own defaults
        default = auto_default_threshold(test.name, default)
    threshold = options.fixed_threshold(column.name, test.name, default)
    is_learned = options.threshold_for(column.name, test.name, default) == LEARNED
    configured = options.has_threshold(column.name, test.name)
    sizes["threshold_source"] = "configured" if configured else "default"
    if is_learned:
        sizes["threshold_source"] = "learned"
        if learned is not None and learned.value is not None:
            threshold = learned.value
            sizes["learned"] = learned.to_dict()
    return threshold, learned, is_learned


def _judge_test(
    column: Column,
    test: DriftTest,
    why: str | None,
    unjudgeable: tuple[Status, str] | None,
    options: DriftOptions,
    pair: ColumnPair | None,
) -> TestResult:
    name, kind = column.name, column.kind
    sizes = _sizes(column, why)
    threshold, learned, is_learned = _threshold(column, test, options, sizes)

    def unjudged(status: Status, reason: str, details: dict[str, Any] | None = None) -> TestResult:
        return TestResult(
            name,
            kind,
            test.name,
            None,
            None,
            threshold,
            False,
            status,
            {**sizes, **(details or {}), "reason": reason},
        )

    if unjudgeable is not None:
        return unjudged(*unjudgeable)
    smallest = min(column.count(column.ref_summary), column.count(column.current))
    if smallest < test.min_values:
        which = "reference" if column.count(column.ref_summary) == smallest else "current"
        return unjudged(
            Status.INSUFFICIENT_DATA,
            f"{smallest} {which} values, fewer than the {test.min_values} {test.name} needs",
        )
    if is_learned and (learned is None or learned.value is None):
        reason = learned.reason if learned is not None else "the reference profile has no learned threshold"
        return unjudged(Status.INSUFFICIENT_DATA, f"no learned threshold: {reason}")
    if pair is None:
        return unjudged(Status.ERROR, "the two sides were summarised as different kinds")
    status, outcome = _run(test, pair, threshold)
    if status is not Status.OK:
        return unjudged(status, str(outcome.details.get("reason", "")), outcome.details)
    details = {**sizes, **outcome.details, "effect_size": outcome.effect_size}
    if is_learned:
        value = test.learned_value(outcome)
        drifted = value is not None and value >= threshold
    elif _calibrate(column, test, options, outcome, details):
        drifted = details["p_value_calibrated"] < threshold
    else:
        drifted = test.is_drifted(outcome, threshold)
    p, effect = outcome.p_value, outcome.effect_size
    return TestResult(
        name, kind, test.name, outcome.statistic, p, threshold, drifted, Status.OK, details, effect
    )


def _calibrate(
    column: Column, test: DriftTest, options: DriftOptions, outcome: TestOutcome, details: dict[str, Any]
) -> bool:
    """For a p-value test auto chose at its default level: the p-value calibrated for the
    reference's sampling error, into `details`; whether there is one."""
    chosen = "chosen_by" in details and details.get("threshold_source") == "default"
    if not chosen or options.reference_band is None or test.direction is not Direction.P_VALUE:
        return False
    n_ref, n_cur = column.count(column.ref_summary), column.count(column.current)
    calibrated = calibrated_p_value(test.name, outcome, n_ref, n_cur, options.reference_band)
    if calibrated is None:
        return False
    details["p_value_calibrated"], details["reference_band"] = calibrated
    return True


def judge_column(column: Column, options: DriftOptions) -> list[TestResult]:
    unjudgeable = _why_unjudgeable(column)
    # One pair per column: tests share what it computes (CDF steps for KS and Wasserstein; bins
    # for PSI, Jensen-Shannon and Hellinger).
    ref, cur = column.ref_summary, column.current
    pair = None
    if unjudgeable is None and ref is not None and cur is not None and ref.kind is cur.kind:
        pair = ColumnPair(ref, cur)
    names, explicit = _test_names(column, options, pair)
    results = []
    for test_name, why in names:
        test = get_test(test_name).configured(options)
        if not test.accepts(column.kind):
            if explicit:
                reason = f"{test.name} does not apply to {column.kind} columns"
                value = options.fixed_threshold(column.name, test.name, test.default_threshold)
                results.append(
                    TestResult(
                        column.name,
                        column.kind,
                        test.name,
                        None,
                        None,
                        value,
                        False,
                        Status.NOT_APPLICABLE,
                        {"reason": reason},
                    )
                )
            continue
        results.append(_judge_test(column, test, why, unjudgeable, options, pair))
    return results


def column_quality(column: Column) -> ColumnQuality:
    ref, cur = column.ref_summary, column.current
    new: tuple[str, ...] = ()
    if isinstance(ref, CategorySummary) and isinstance(cur, CategorySummary):
        new = tuple(sorted(set(cur.labels) - set(ref.labels)))
    return ColumnQuality(
        column=column.name,
        kind=column.kind,
        kind_reason=column.kind_reason,
        reference_missing=ref.missing if ref is not None else 0,
        current_missing=cur.missing if cur is not None else 0,
        reference_count=column.count(ref),
        current_count=column.count(cur),
        new_categories=new,
        reference_constant=ref is not None and ref.constant,
        current_constant=cur is not None and cur.constant,
    )
