"""`monitor drift`: two files compared ad hoc, no database, rendered as JSON, a table or a page."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from monitor.drift import DatasetDrift, DriftOptions, compare_datasets
from monitor.drift.options import DEFAULT_TESTS
from monitor.errors import UserError


class AdhocInputError(UserError):
    """Files or options that cannot be compared; the message says which and why."""


def read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt"):
            return pd.read_csv(path)
    except FileNotFoundError:
        raise AdhocInputError(f"{path}: no such file") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise AdhocInputError(f"{path}: cannot be read: {exc}") from None
    raise AdhocInputError(f"{path}: expected a .csv or .parquet file")


def compare_files(
    reference: Path,
    current: Path,
    *,
    tests: list[str] | None = None,
    columns: list[str] | None = None,
    fmt: str = "table",
    drift_share: float = 0.5,
) -> str:
    ref, cur = read_table(reference), read_table(current)
    if columns:
        absent = [c for c in columns if c not in ref.columns and c not in cur.columns]
        if absent:
            raise AdhocInputError(f"no column named {', '.join(absent)} in either file")
    options = DriftOptions(
        tests=tuple(tests) if tests else DEFAULT_TESTS,
        include=tuple(columns) if columns else None,
        drift_share=drift_share,
    )
    try:
        result = compare_datasets(ref, cur, options)
    except ValueError as exc:
        raise AdhocInputError(str(exc)) from None
    if fmt == "json":
        return json.dumps(_json_safe(result.to_dict()), indent=2)
    if fmt == "html":
        from monitor.render import render_drift_page

        return render_drift_page(result, reference=str(reference), current=str(current))
    return render_table(result)


def _json_safe(value: object) -> object:
    """JSON has no NaN or infinity; a statistic that is not finite is reported as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def render_table(result: DatasetDrift) -> str:
    header = ("column", "kind", "test", "statistic", "p-value", "threshold", "drifted", "status")
    rows = [
        (
            r.column,
            str(r.kind),
            r.test,
            _fmt(r.statistic),
            _fmt(r.p_value),
            _fmt(r.threshold),
            "DRIFT" if r.drifted else "no",
            str(r.status),
        )
        for r in result.results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    verdict = "DRIFTED" if result.dataset_drifted else "not drifted"
    lines.append("")
    lines.append(
        f"reference rows: {result.reference_rows}  current rows: {result.current_rows}  "
        f"drift share: {result.drift_share:.2f}  dataset: {verdict}"
    )
    return "\n".join(lines) + "\n"
