"""Compare two datasets column by column: one TestResult per (column, test) that fits the column.

The reference side is a ReferenceProfile (profile.py: built from a DataFrame here, or loaded from the
store by a scheduled run); the current side is a DataFrame, or a CurrentSummary merged from pieces.

Which columns: `options.include` in its order if given (a name on neither side is a ValueError),
otherwise the reference's columns then those only the current has. Which tests: the column's own
`options.columns[col].tests` if set, else `options.tests`; `auto` becomes one test chosen by kind and
sample size (auto.py); a monitor-wide test that does not fit the column's kind is left out, but a
test set for that very column always gets a row (status `not_applicable` if it does not fit), so a
config mistake is visible. Unknown test names raise.

Bad data never raises and never lies. A column that cannot be judged gets, for each of its tests,
a result with statistic None and drifted False, and the first of these statuses that applies:
- `missing_in_reference` / `missing_in_current`: the column exists on one side only;
- `empty_current`: the current window has no rows at all;
- `insufficient_data`: the reference has no rows at all;
- `all_missing`: a side has rows but every value is missing (NaN, None, +-inf, unreadable as a number);
- `insufficient_data`: a side has fewer non-missing values than the test's minimum (base.py: 2 for
  p-value tests, 100 for distances), or a learned threshold could not be learned (the reason says why);
- `constant`: a test undefined on a constant reference (Wasserstein has no spread to normalise by);
- `error`: the test failed unexpectedly or gave a non-finite value; the message is in details.
Constant columns are otherwise judged, not skipped: a reference that was always 0 and now varies is
real drift, and KS, chi2 and PSI are all well defined on it. Constancy, missing counts and new
categories are reported in ColumnQuality.

A column is drifted when any of its `ok` tests drifted; drift_share = drifted columns / columns with
at least one `ok` test (0.0 if none); the dataset drifted when that share >= options.drift_share and
at least one column was judged. With `correction: benjamini-hochberg`, p-value tests are judged on
p-values adjusted across all columns (correction.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift.auto import choose_test
from monitor.drift.base import DriftTest, TestOutcome, Unjudgeable
from monitor.drift.correction import apply_correction
from monitor.drift.current import CurrentSummary, current_side, parallel_setting
from monitor.drift.learned import LearnedThreshold
from monitor.drift.options import AUTO, BENJAMINI_HOCHBERG, LEARNED, DriftOptions
from monitor.drift.pair import ColumnPair
from monitor.drift.parallel import map_columns
from monitor.drift.profile import ColumnProfile, ReferenceProfile, columns_by_name, profile_column
from monitor.drift.registry import EVIDENTLY_PREFIX, UnknownTestError, get_test, is_known, known_tests
from monitor.drift.summary import CategorySummary, NumericSummary, Summary
from monitor.drift.types import ColumnKind, ColumnQuality, DatasetDrift, Status, TestResult

MIN_VALUES_PER_SIDE = 2


def _columns_to_judge(
    reference: Sequence[str], current: Sequence[str], include: Sequence[str] | None
) -> list[str]:
    if include is None:
        return list(reference) + [name for name in current if name not in set(reference)]
    unknown = [name for name in include if name not in reference and name not in current]
    if unknown:
        available = sorted(set(reference) | set(current))
        shown = ", ".join(available[:30]) + (", ..." if len(available) > 30 else "")
        raise ValueError(f"columns not found in either dataset: {', '.join(unknown)}; available: {shown}")
    return list(dict.fromkeys(include))  # keep the caller's order, drop repeats


def check_options(options: DriftOptions) -> None:
    """Unknown test names, or settings that cannot work, are the caller's error: raise, naming them."""
    named = list(options.tests) + [t for col in options.columns.values() for t in (col.tests or ())]
    thresholds = [*options.thresholds, *(t for col in options.columns.values() for t in col.thresholds)]
    # `auto` is a test list entry, not a test: thresholds belong to the tests it picks.
    unknown = sorted(
        {n for n in named if not is_known(n)} | {n for n in thresholds if not is_known(n) or n == AUTO}
    )
    if unknown:
        known = ", ".join((*known_tests(), AUTO, EVIDENTLY_PREFIX + "<name>"))
        raise UnknownTestError(f"unknown drift test(s): {', '.join(unknown)}; known tests: {known}")
    for name in dict.fromkeys(named):
        if name != AUTO:
            get_test(name)  # an `evidently:` name Evidently does not know raises here
    if options.correction not in (None, BENJAMINI_HOCHBERG):
        raise ValueError(f"unknown correction {options.correction!r}; known: {BENJAMINI_HOCHBERG}")
    if options.learned.chunks < 2 or options.learned.std_multiplier < 0:
        raise ValueError("learned thresholds need at least 2 chunks and a std multiplier >= 0")
    learned = [name for name, value in options.thresholds.items() if value == LEARNED]
    learned += [name for column in options.columns for name in options.learned_tests(column)]
    for name in dict.fromkeys(learned):
        if not get_test(name).learnable:
            raise ValueError(f"{name} cannot have a learned threshold: it reports no effect size")


@dataclass(frozen=True)
class _Column:
    """One column's two sides as the engine judges them."""

    name: str
    kind: ColumnKind
    kind_reason: str
    reference: ColumnProfile | None
    current: Summary | None
    reference_rows: int
    current_rows: int

    def count(self, side: Summary | None) -> int:
        return side.count if side is not None else 0

    @property
    def ref_summary(self) -> Summary | None:
        return self.reference.summary if self.reference is not None else None


def _why_unjudgeable(column: _Column) -> tuple[Status, str] | None:
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


def _test_names(column: _Column, options: DriftOptions) -> tuple[list[tuple[str, str | None]], bool]:
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
            return options.fixed_threshold(column.name, test, get_test(test).default_threshold)

        auto_name, why = choose_test(column.kind, column.ref_summary, column.current, threshold_of)
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


def _sizes(column: _Column, why: str | None) -> dict[str, Any]:
    """What every result of the column records: how many values each side had, and why the test."""
    sizes: dict[str, Any] = {
        "reference_n": column.count(column.ref_summary),
        "current_n": column.count(column.current),
    }
    for side, label in ((column.ref_summary, "reference"), (column.current, "current")):
        if isinstance(side, NumericSummary) and side.non_numeric:
            sizes[f"{label}_non_numeric"] = side.non_numeric
    if why is not None:
        sizes["chosen_by"] = why
    return sizes


def _threshold(
    column: _Column, test: DriftTest, options: DriftOptions, sizes: dict[str, Any]
) -> tuple[float, LearnedThreshold | None, bool]:
    """The test's threshold for the column, the learned one when the options ask for it (noted in
    `sizes`), and whether it was asked for."""
    learned = column.reference.learned.get(test.name) if column.reference is not None else None
    threshold = options.fixed_threshold(column.name, test.name, test.default_threshold)
    is_learned = options.threshold_for(column.name, test.name, test.default_threshold) == LEARNED
    if is_learned:
        sizes["threshold_source"] = "learned"
        if learned is not None and learned.value is not None:
            threshold = learned.value
            sizes["learned"] = learned.to_dict()
    return threshold, learned, is_learned


def _judge_test(
    column: _Column,
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
    if is_learned:
        value = test.learned_value(outcome)
        drifted = value is not None and value >= threshold
    else:
        drifted = test.is_drifted(outcome, threshold)
    return TestResult(
        column=name,
        kind=kind,
        test=test.name,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        threshold=threshold,
        drifted=drifted,
        status=Status.OK,
        details={**sizes, **outcome.details, "effect_size": outcome.effect_size},
        effect_size=outcome.effect_size,
    )


def _judge_column(column: _Column, options: DriftOptions) -> list[TestResult]:
    unjudgeable = _why_unjudgeable(column)
    # One pair per column: tests share what it computes (CDF steps for KS and Wasserstein; bins
    # for PSI, Jensen-Shannon and Hellinger).
    ref, cur = column.ref_summary, column.current
    pair = None
    if unjudgeable is None and ref is not None and cur is not None and ref.kind is cur.kind:
        pair = ColumnPair(ref, cur)
    names, explicit = _test_names(column, options)
    results = []
    for test_name, why in names:
        test = get_test(test_name)
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


def _quality(column: _Column) -> ColumnQuality:
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


def _verdict(
    reference_rows: int,
    current_rows: int,
    per_column: list[tuple[list[TestResult], ColumnQuality]],
    options: DriftOptions,
) -> DatasetDrift:
    results = apply_correction([r for column_results, _ in per_column for r in column_results], options)
    judged = list(dict.fromkeys(r.column for r in results if r.status is Status.OK))
    drifted = list(dict.fromkeys(r.column for r in results if r.status is Status.OK and r.drifted))
    drift_share = len(drifted) / len(judged) if judged else 0.0
    return DatasetDrift(
        reference_rows=reference_rows,
        current_rows=current_rows,
        results=tuple(results),
        columns=tuple(quality for _, quality in per_column),
        drifted_columns=tuple(drifted),
        drift_share=drift_share,
        dataset_drifted=bool(judged) and drift_share >= options.drift_share,
    )


def compare_summaries(
    profile: ReferenceProfile, current: CurrentSummary, options: DriftOptions | None = None
) -> DatasetDrift:
    """Judge a current window given as (merged) summaries against a reference profile."""
    options = options if options is not None else DriftOptions()
    check_options(options)
    names = _columns_to_judge(list(profile.columns), list(current.columns), options.include)

    def work(name: str) -> tuple[list[TestResult], ColumnQuality]:
        reference = profile.columns.get(name)
        kind, reason, summary = current_side(name, reference, current.columns.get(name), options)
        column = _Column(name, kind, reason, reference, summary, profile.rows, current.rows)
        return _judge_column(column, options), _quality(column)

    per_column = map_columns(work, names, parallel=parallel_setting(options), cells=current.rows * len(names))
    return _verdict(profile.rows, current.rows, per_column, options)


def compare_datasets(
    reference: pd.DataFrame | ReferenceProfile, current: pd.DataFrame, options: DriftOptions | None = None
) -> DatasetDrift:
    """Judge `current` against a reference DataFrame or a stored ReferenceProfile.

    A DataFrame reference is profiled column by column as the comparison goes, each column's
    profile dropped once judged, so memory holds a few columns' sorted values, not all of them."""
    options = options if options is not None else DriftOptions()
    check_options(options)
    current_columns = columns_by_name(current, "current")
    if isinstance(reference, ReferenceProfile):
        reference_columns = None
        reference_rows = reference.rows
        names = _columns_to_judge(list(reference.columns), list(current_columns), options.include)
    else:
        reference_columns = columns_by_name(reference, "reference")
        reference_rows = len(reference)
        names = _columns_to_judge(list(reference_columns), list(current_columns), options.include)

    def reference_column(name: str) -> ColumnProfile | None:
        if isinstance(reference, ReferenceProfile):
            return reference.columns.get(name)
        assert reference_columns is not None
        if name not in reference_columns:
            return None
        return profile_column(name, reference[reference_columns[name]], options)

    def work(name: str) -> tuple[list[TestResult], ColumnQuality]:
        ref_column = reference_column(name)
        series = current[current_columns[name]] if name in current_columns else None
        kind, reason, summary = current_side(name, ref_column, series, options)
        column = _Column(name, kind, reason, ref_column, summary, reference_rows, len(current))
        return _judge_column(column, options), _quality(column)

    cells = (reference_rows + len(current)) * len(names)
    per_column = map_columns(work, names, parallel=parallel_setting(options), cells=cells)
    return _verdict(reference_rows, len(current), per_column, options)
