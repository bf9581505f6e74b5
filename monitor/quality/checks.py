"""Data-quality checks of one window against the reference and the windows before it. Pure.

Each check yields a QualityCheck, whether or not it found something, so a page can show missing
shares and ranges of every column; `finding` marks the ones that need a look:
- `row_count`: the window's rows against the median of recent windows. A window without rows is
  always a finding: silence from a source is news, not a quiet day.
- `missing_column` / `new_column` / `type_change`: the schema moved: a column the model reads is
  absent, a column the reference never had appeared, or values are of another type family
  (number, boolean, text, date-time) than the reference's.
- `missing_share`: missing values (null, NaN, +-inf) per column; a finding when the share exceeds
  the reference's by more than the configured margin.
- `out_of_range`: numerical values outside the reference's [min, max].
- `new_categories`: categorical values the reference never had.
A window with no rows gets only the `row_count` check: its columns say nothing.

The reference is given as a QualityReference (reference.py), summarised once: a run reads only its
window.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from monitor.quality.facts import CategoryFacts, ColumnFacts, RangeFacts, column_facts
from monitor.quality.reference import (
    CATEGORICAL,
    NUMERICAL,
    QualityReference,
    ReferenceColumn,
    family_kind,
)

MAX_LISTED_CATEGORIES = 20
SCHEMA_CHECKS = ("missing_column", "new_column", "type_change")


@dataclass(frozen=True)
class QualityOptions:
    row_count_change: float = 0.5
    missing_share_increase: float = 0.1
    out_of_range_share: float = 0.01
    new_category_share: float = 0.0


@dataclass(frozen=True)
class QualityCheck:
    check: str
    column: str  # "" for a check of the whole window
    value: float | None
    threshold: float | None
    finding: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return finding_text(self.column, self.message)


def finding_text(column: str | None, message: str) -> str:
    """A finding as one line: the column it is about, then what was found."""
    return f"{column}: {message}" if column else message


@dataclass(frozen=True)
class QualityReport:
    row_count: int
    checks: tuple[QualityCheck, ...]

    @property
    def findings(self) -> tuple[QualityCheck, ...]:
        return tuple(c for c in self.checks if c.finding)

    def signals(self) -> dict[str, dict[str, float | None]]:
        """What alert rules (`signal: quality`, `check: ...`) see: {check: {column or "": value}}.
        Schema checks are 0/1 for every checked column (0 lets an alert on a column resolve);
        out_of_range and new_categories are shares of rows; row_count_change the relative change."""
        signals: dict[str, dict[str, float | None]] = {name: {} for name in SCHEMA_CHECKS}
        columns = {c.column for c in self.checks if c.column}
        for name in SCHEMA_CHECKS:
            signals[name] = dict.fromkeys(sorted(columns), 0.0)
        for check in self.checks:
            if check.check in SCHEMA_CHECKS:
                signals[check.check][check.column] = 1.0
            elif check.check in ("out_of_range", "new_categories"):
                signals.setdefault(check.check, {})[check.column] = check.value
            elif check.check == "row_count":
                signals["row_count_change"] = {"": check.details.get("change")}
        return signals


def _row_count(rows: int, recent: Sequence[int], options: QualityOptions) -> QualityCheck:
    details: dict[str, Any] = {"recent": list(recent)}
    if rows == 0:
        return QualityCheck("row_count", "", 0, None, True, "the window has no rows", details)
    if not recent:
        return QualityCheck("row_count", "", rows, None, False, f"{rows} rows (no earlier window)", details)
    median = statistics.median(recent)
    details["recent_median"] = median
    if median == 0:
        return QualityCheck(
            "row_count", "", rows, None, False, f"{rows} rows after windows without rows", details
        )
    change = rows / median - 1
    details["change"] = change
    finding = abs(change) >= options.row_count_change
    direction = "more" if change > 0 else "fewer"
    message = f"{rows} rows, {abs(change):.0%} {direction} than the median of the last {len(recent)} windows"
    return QualityCheck("row_count", "", rows, options.row_count_change, finding, message, details)


def _numeric_range(
    column: str, reference: ReferenceColumn, facts: RangeFacts | None, options: QualityOptions
) -> QualityCheck:
    if not reference.ranged or facts is None:
        raise ValueError(f"the reference summary of column {column!r} has no range for a range check")
    if reference.value_range is None or facts.numbers == 0:
        return QualityCheck(
            "out_of_range", column, None, options.out_of_range_share, False, "no values to compare"
        )
    low, high = reference.value_range
    below, above = facts.below, facts.above
    share = (below + above) / facts.numbers
    details = {
        "reference_min": low,
        "reference_max": high,
        "current_min": facts.low,
        "current_max": facts.high,
        "below": below,
        "above": above,
    }
    finding = share > options.out_of_range_share
    message = f"{share:.1%} of values outside the reference range [{low:g}, {high:g}]"
    return QualityCheck("out_of_range", column, share, options.out_of_range_share, finding, message, details)


def _new_categories(
    column: str, reference: ReferenceColumn, facts: CategoryFacts | None, options: QualityOptions
) -> QualityCheck:
    if reference.categories is None or facts is None:
        raise ValueError(f"the reference summary of column {column!r} has no categories for a category check")
    counts = facts.counts()
    share = float(counts.sum() / facts.present) if facts.present else 0.0
    listed = {str(k): int(v) for k, v in counts.head(MAX_LISTED_CATEGORIES).items()}
    details = {"new": listed, "new_count": len(counts)}
    finding = len(counts) > 0 and share > options.new_category_share
    message = (
        f"{len(counts)} categories the reference never had ({', '.join(listed)}), on {share:.1%} of rows"
        if len(counts)
        else "no new category"
    )
    return QualityCheck(
        "new_categories", column, share, options.new_category_share, finding, message, details
    )


def column_checks(
    column: str, reference: QualityReference, facts: ColumnFacts, kind: str | None, options: QualityOptions
) -> list[QualityCheck]:
    """The checks of a column present in the window, from its facts (monitor/quality/facts.py)."""
    share = facts.missing / facts.rows
    ref = reference.column(column) if reference.has(column) else None
    ref_share = ref.missing_share if ref is not None else 0.0
    increase = share - ref_share
    checks = [
        QualityCheck(
            "missing_share",
            column,
            share,
            options.missing_share_increase,
            increase > options.missing_share_increase,
            f"{share:.1%} missing (reference {ref_share:.1%})",
            {"reference_share": ref_share, "missing": facts.missing},
        )
    ]
    if ref is None:
        return checks
    ref_family, cur_family = ref.family, facts.family
    if ref_family is not None and cur_family is not None and ref_family != cur_family:
        message = f"values are {cur_family}, the reference's are {ref_family}"
        checks.append(
            QualityCheck(
                "type_change",
                column,
                None,
                None,
                True,
                message,
                {"reference": ref_family, "current": cur_family},
            )
        )
        return checks
    if kind is None:
        kind = family_kind(ref_family)
    if kind == NUMERICAL:
        checks.append(_numeric_range(column, ref, facts.range, options))
    elif kind == CATEGORICAL:
        checks.append(_new_categories(column, ref, facts.categories, options))
    return checks


def window_column_facts(
    current: pd.DataFrame,
    reference: QualityReference,
    columns: Sequence[str],
    kinds: Mapping[str, str] | None = None,
) -> dict[str, ColumnFacts]:
    """The facts of each of `columns` that `current` has (a whole window, or a piece of it). With
    `kinds`, only the range or category facts the column's check uses (its kind, else the reference's
    family); without, every fact the reference allows (pieces summarised before kinds are known)."""
    facts = {}
    for column in columns:
        if column not in current.columns:
            continue
        ref = reference.column(column) if reference.has(column) else None
        checks: tuple[str, ...] = (NUMERICAL, CATEGORICAL)
        if kinds is not None and ref is not None:
            kind = kinds.get(column) or family_kind(ref.family)
            checks = (kind,) if kind is not None else ()
        facts[column] = column_facts(current[column], ref, checks)
    return facts


def assess_window(
    current: pd.DataFrame,
    reference: QualityReference,
    *,
    columns: Sequence[str],
    recent_row_counts: Sequence[int] = (),
    ignore: Collection[str] = (),
    kinds: Mapping[str, str] | None = None,
    options: QualityOptions | None = None,
    present: Sequence[str] | None = None,
) -> QualityReport:
    """Checks of `current` against the summary of the reference for the model's `columns`; columns
    in `ignore` (time, ids, labels) are not reported as new. `kinds` (numerical / categorical /
    skipped, as the drift engine decided) picks the range or category check; without it the
    reference's value family decides. `present`: the names of every column of the data, when
    `current` holds only the columns the checks use (default: its own columns)."""
    names = [str(c) for c in current.columns] if present is None else list(present)
    facts = window_column_facts(current, reference, columns, kinds or {}) if len(current) else {}
    return assess_facts(
        len(current),
        facts,
        reference,
        columns=columns,
        present=names,
        recent_row_counts=recent_row_counts,
        ignore=ignore,
        kinds=kinds,
        options=options,
    )


def assess_facts(
    rows: int,
    facts: Mapping[str, ColumnFacts],
    reference: QualityReference,
    *,
    columns: Sequence[str],
    present: Sequence[str],
    recent_row_counts: Sequence[int] = (),
    ignore: Collection[str] = (),
    kinds: Mapping[str, str] | None = None,
    options: QualityOptions | None = None,
) -> QualityReport:
    """`assess_window` of a window given as its row count and the (merged) facts of the `columns` it
    has; `present`: the names of every column of the data."""
    options = options or QualityOptions()
    checks = [_row_count(rows, recent_row_counts, options)]
    if rows == 0:
        return QualityReport(0, tuple(checks))
    for column in columns:
        if column not in facts:
            where = "in the reference" if reference.has(column) else "expected by the schema"
            checks.append(
                QualityCheck("missing_column", column, None, None, True, f"the column is missing ({where})")
            )
            continue
        kind = (kinds or {}).get(column)  # "skipped" (ids, free text): no range or category check
        checks.extend(column_checks(column, reference, facts[column], kind, options))
    skip = set(ignore) | set(columns)
    for name in present:
        if name not in skip and not reference.has(name):
            checks.append(
                QualityCheck("new_column", name, None, None, True, "a column the reference does not have")
            )
    return QualityReport(rows, tuple(checks))
