"""The data-quality checks as they were before they took a summary of the reference (commit e0f095a,
monitor/quality/checks.py, unchanged below this note): the oracle that test_reference.py holds the
summary-based checks to. It reads the reference DataFrame itself, as every run used to.

Data-quality checks of one window against the reference and the windows before it. Pure.

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
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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


def value_family(values: pd.Series) -> str | None:
    """number, boolean, text, datetime or mixed; None when there is no value to tell by."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    return {
        "empty": None,
        "string": "text",
        "categorical": "text",
        "integer": "number",
        "floating": "number",
        "mixed-integer-float": "number",
        "decimal": "number",
        "boolean": "boolean",
        "datetime": "datetime",
        "datetime64": "datetime",
        "date": "datetime",
    }.get(inferred, "mixed")


def _missing(values: pd.Series) -> pd.Series:
    missing = values.isna()
    if pd.api.types.is_float_dtype(values.dtype):
        missing |= np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
    return missing


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
    column: str, reference: pd.Series, current: pd.Series, options: QualityOptions
) -> QualityCheck:
    ref = pd.to_numeric(reference, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    cur = pd.to_numeric(current, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return QualityCheck(
            "out_of_range", column, None, options.out_of_range_share, False, "no values to compare"
        )
    low, high = float(ref.min()), float(ref.max())
    below, above = int(np.sum(cur < low)), int(np.sum(cur > high))
    share = (below + above) / len(cur)
    details = {
        "reference_min": low,
        "reference_max": high,
        "current_min": float(cur.min()),
        "current_max": float(cur.max()),
        "below": below,
        "above": above,
    }
    finding = share > options.out_of_range_share
    message = f"{share:.1%} of values outside the reference range [{low:g}, {high:g}]"
    return QualityCheck("out_of_range", column, share, options.out_of_range_share, finding, message, details)


def _label(value: object) -> str:
    """A category's name by its value, written independently of monitor.quality.labels (the one
    change to this oracle since e0f095a, which used str() of the column's dtype): a number that is a
    whole number below 2**53 is written as an integer, so 1, 1.0 and numpy.int64(1) are all "1"."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 2.0**53 else str(number)


def _new_categories(
    column: str, reference: pd.Series, current: pd.Series, options: QualityOptions
) -> QualityCheck:
    known = {_label(v) for v in reference.dropna()}
    present = pd.Series([_label(v) for v in current.dropna()], dtype=object)
    counts = present[~present.isin(known)].value_counts()
    share = float(counts.sum() / len(present)) if len(present) else 0.0
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


def _column_checks(
    column: str, reference: pd.DataFrame, current: pd.DataFrame, kind: str | None, options: QualityOptions
) -> list[QualityCheck]:
    values = current[column]
    missing = int(_missing(values).sum())
    share = missing / len(values)
    in_reference = column in reference.columns
    ref_share = float(_missing(reference[column]).mean()) if in_reference and len(reference) else 0.0
    increase = share - ref_share
    checks = [
        QualityCheck(
            "missing_share",
            column,
            share,
            options.missing_share_increase,
            increase > options.missing_share_increase,
            f"{share:.1%} missing (reference {ref_share:.1%})",
            {"reference_share": ref_share, "missing": missing},
        )
    ]
    if not in_reference:
        return checks
    ref_family, cur_family = value_family(reference[column]), value_family(values)
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
        kind = {"number": "numerical", "text": "categorical", "boolean": "categorical"}.get(ref_family or "")
    if kind == "numerical":
        checks.append(_numeric_range(column, reference[column], values, options))
    elif kind == "categorical":
        checks.append(_new_categories(column, reference[column], values, options))
    return checks


def assess_window(
    current: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    columns: Sequence[str],
    recent_row_counts: Sequence[int] = (),
    ignore: Collection[str] = (),
    kinds: Mapping[str, str] | None = None,
    options: QualityOptions | None = None,
) -> QualityReport:
    """Checks of `current` against `reference` for the model's `columns`; columns in `ignore` (time,
    ids, labels) are not reported as new. `kinds` (numerical / categorical / skipped, as the drift
    engine decided) picks the range or category check; without it the reference's values decide."""
    options = options or QualityOptions()
    checks = [_row_count(len(current), recent_row_counts, options)]
    if len(current) == 0:
        return QualityReport(0, tuple(checks))
    for column in columns:
        if column not in current.columns:
            where = "in the reference" if column in reference.columns else "expected by the schema"
            checks.append(
                QualityCheck("missing_column", column, None, None, True, f"the column is missing ({where})")
            )
            continue
        kind = (kinds or {}).get(column)  # "skipped" (ids, free text): no range or category check
        checks.extend(_column_checks(column, reference, current, kind, options))
    skip = set(ignore) | set(columns)
    for column in current.columns:
        name = str(column)
        if name not in skip and name not in reference.columns:
            checks.append(
                QualityCheck("new_column", name, None, None, True, "a column the reference does not have")
            )
    return QualityReport(len(current), tuple(checks))
