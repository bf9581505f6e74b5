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
at least one column was judged. p-value tests are judged on p-values adjusted across the window's
columns as `correction` says (correction.py): by default those `auto` chose, under Benjamini-Yekutieli.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from monitor.drift.correction import apply_correction
from monitor.drift.current import CurrentSummary, current_side, parallel_setting
from monitor.drift.dataset import DatasetReference, build_dataset_reference, dataset_results
from monitor.drift.dataset_partial import DatasetPiece
from monitor.drift.judging import MIN_VALUES_PER_SIDE, Column, column_quality, judge_column
from monitor.drift.options import AUTO, CORRECTIONS, LEARNED, DriftOptions
from monitor.drift.parallel import map_columns
from monitor.drift.profile import ColumnProfile, ReferenceProfile, columns_by_name, profile_column
from monitor.drift.registry import EVIDENTLY_PREFIX, UnknownTestError, get_test, is_known, known_tests
from monitor.drift.types import ColumnQuality, DatasetDrift, Status, TestResult

__all__ = ["MIN_VALUES_PER_SIDE", "check_options", "compare_datasets", "compare_summaries"]


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
    if options.correction is not None and options.correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {options.correction!r}; known: {', '.join(CORRECTIONS)}")
    if options.reference_band is not None and not 0 < options.reference_band < 1:
        raise ValueError("reference_band is a probability between 0 and 1 (exclusive), or None")
    mc = options.monte_carlo
    if mc.resamples < 1 or mc.exceedances < 1:
        raise ValueError("monte_carlo needs at least 1 resample and 1 exceedance to stop at")
    if options.learned.chunks < 2 or options.learned.std_multiplier < 0:
        raise ValueError("learned thresholds need at least 2 chunks and a std multiplier >= 0")
    learned = [name for name, value in options.thresholds.items() if value == LEARNED]
    learned += [name for column in options.columns for name in options.learned_tests(column)]
    for name in dict.fromkeys(learned):
        if not get_test(name).learnable:
            raise ValueError(f"{name} cannot have a learned threshold: it reports no effect size")
    _check_dataset_options(options)


def _check_dataset_options(options: DriftOptions) -> None:
    mv, importance = options.multivariate, options.importance
    if mv.folds < 2 or mv.max_rows < 2 * mv.folds or mv.chunks < 2 or mv.std_multiplier < 0:
        raise ValueError(
            "multivariate needs at least 2 folds, 2 rows a fold, 2 chunks and a std multiplier >= 0"
        )
    if not 0 < mv.variance < 1 or not 0.5 <= mv.auc_threshold <= 1:
        raise ValueError("multivariate variance is a share in (0, 1) and auc_threshold in [0.5, 1]")
    if importance.estimate is not None and importance.estimate not in ("mutual_information", "permutation"):
        raise ValueError(
            f"unknown importance estimate {importance.estimate!r}: mutual_information, permutation"
        )
    if importance.estimate is not None and importance.target is None:
        raise ValueError("estimating importances needs the reference's target column (importance.target)")
    if any(w < 0 for w in importance.weights.values()):
        raise ValueError("importance weights cannot be negative")


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
        column = Column(name, kind, reason, reference, summary, profile.rows, current.rows)
        return judge_column(column, options), column_quality(column)

    per_column = map_columns(work, names, parallel=parallel_setting(options), cells=current.rows * len(names))
    verdict = _verdict(profile.rows, current.rows, per_column, options)
    # No rows here: the dataset-level verdicts come from what the pieces kept (dataset_partial.py).
    return _with_dataset_level(verdict, profile.dataset, current.dataset, options)


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
        column = Column(name, kind, reason, ref_column, summary, reference_rows, len(current))
        return judge_column(column, options), column_quality(column)

    cells = (reference_rows + len(current)) * len(names)
    per_column = map_columns(work, names, parallel=parallel_setting(options), cells=cells)
    verdict = _verdict(reference_rows, len(current), per_column, options)
    if not options.multivariate.enabled and not options.importance.enabled:
        return verdict
    if isinstance(reference, ReferenceProfile):
        dataset = reference.dataset
    else:
        kinds = {q.column: q.kind for q in verdict.columns if q.reference_count > 0}
        dataset = build_dataset_reference(reference.rename(columns=str), kinds, options)
    return _with_dataset_level(verdict, dataset, current.rename(columns=str), options)


def _with_dataset_level(
    verdict: DatasetDrift,
    dataset: DatasetReference,
    current: pd.DataFrame | DatasetPiece | None,
    options: DriftOptions,
) -> DatasetDrift:
    if not options.multivariate.enabled and not options.importance.enabled:
        return verdict
    tests, weighted = dataset_results(dataset, current, verdict.results, options)
    return replace(verdict, dataset_tests=tests, weighted=weighted)
