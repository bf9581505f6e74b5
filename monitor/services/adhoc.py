"""`monitor drift`: two files compared ad hoc, no database, rendered as JSON, a table or a page."""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from monitor.errors import UserError

if TYPE_CHECKING:
    from monitor.drift import DatasetDrift, TestResult

# The drift engine (and scipy with it, about 0.6 s of imports) is imported by the functions that use
# it, not here: `compare_files` imports it while both files are being read.


class AdhocInputError(UserError):
    """Files or options that cannot be compared; the message says which and why."""


def _is_text(field: pa.Field) -> bool:
    return bool(pa.types.is_string(field.type) or pa.types.is_large_string(field.type))


def read_parquet(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A Parquet file through Arrow: only `columns` read (those the file has; None: all), string
    columns kept dictionary-encoded and arriving as pandas categoricals of those strings (the drift
    engine counts their codes and judges them exactly as the strings), numbers handed to pandas
    without a copy where Arrow's buffers allow it."""
    schema = pq.read_schema(path)
    wanted = None if columns is None else [c for c in dict.fromkeys(columns) if c in schema.names]
    fields = [f for f in schema if wanted is None or f.name in wanted]
    # ParquetFile.read, not read_table: read_table cuts every column into batches of 131,072 rows,
    # which pandas must then copy into one array; here a column of a row group is one Arrow array,
    # so a numerical column of a single row group reaches pandas without a copy (1M x 50 floats:
    # 400 MB a file neither allocated nor copied).
    text = [f.name for f in fields if _is_text(f)]
    with pq.ParquetFile(path, read_dictionary=text, memory_map=True) as parquet:
        # use_pandas_metadata: the index, as pandas wrote it, even when columns are chosen.
        table = parquet.read(columns=wanted, use_pandas_metadata=True)
    # Arrow releases each column as pandas takes it over: the file's data is not held twice.
    return table.to_pandas(split_blocks=True, self_destruct=True)


def read_table(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame; of a Parquet file only `columns` (None: every column)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return read_parquet(path, columns)
        if suffix in (".csv", ".txt"):
            return pd.read_csv(path)
    except FileNotFoundError:
        raise AdhocInputError(f"{path}: no such file") from None
    except (OSError, ValueError, pa.ArrowException, pd.errors.ParserError) as exc:
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
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="read") as pool:
        # Arrow reads and decodes outside the GIL, so the engine's modules load in the meantime.
        reading = [pool.submit(read_table, path, columns or None) for path in (reference, current)]
        importlib.import_module("monitor.drift")
        ref, cur = (future.result() for future in reading)
    from monitor.drift import DriftOptions, compare_datasets
    from monitor.drift.options import DEFAULT_TESTS

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
    except ValueError as exc:  # unknown tests or columns: the caller's mistake, said plainly
        raise AdhocInputError(str(exc)) from None
    if fmt == "json":
        return json.dumps(_json_safe(result.to_dict()), indent=2)
    if fmt == "html":
        from monitor.reports.render import render_drift_page

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
    if value is None:
        return "-"
    if value != 0 and abs(value) < 1e-4:
        return f"{value:.2e}"
    return f"{value:.4g}"


def _effect(result: TestResult) -> str:
    if result.effect_size is None:
        return "-"
    name = result.details.get("effect_size_name")
    label = {"ks_statistic": "D", "cramers_v": "V"}.get(str(name), "")
    return f"{label}={_fmt(result.effect_size)}" if label else _fmt(result.effect_size)


def _threshold(result: TestResult) -> str:
    from monitor.drift import Direction, get_test

    if result.details.get("threshold_source") == "learned":
        return f">= {_fmt(result.threshold)} (learned)"
    p_value = get_test(result.test).direction is Direction.P_VALUE
    return f"{'p <' if p_value else '>='} {_fmt(result.threshold)}"


def _columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return lines


def render_table(result: DatasetDrift) -> str:
    """A terminal report: one line per (column, test), then data quality, then the verdict."""
    from monitor.drift import Status

    header = (
        "column",
        "kind",
        "test",
        "statistic",
        "p-value",
        "p-adj",
        "effect",
        "threshold",
        "drift",
        "status",
    )
    rows = []
    previous = None
    for r in result.results:
        status = str(r.status) if r.status is Status.OK else f"{r.status}: {r.details.get('reason', '')}"
        rows.append(
            (
                r.column if r.column != previous else "",
                str(r.kind) if r.column != previous else "",
                r.test,
                _fmt(r.statistic),
                _fmt(r.p_value),
                _fmt(r.details.get("p_value_adjusted")),
                _effect(r),
                _threshold(r),
                "DRIFT" if r.drifted else "no",
                status,
            )
        )
        previous = r.column
    lines = _columns(header, rows) if rows else ["no column could be compared"]
    notes = _quality_notes(result)
    if notes:
        lines += ["", "data quality:"] + [f"  {note}" for note in notes]
    chosen = sorted(
        {str(r.details["chosen_by"]).split(",")[0] for r in result.results if "chosen_by" in r.details}
    )
    if chosen:
        lines += [
            "",
            "tests chosen automatically (docs/drift.md): "
            + "; ".join(c.removeprefix("auto: ") for c in chosen),
        ]
    corrected = {str(r.details["correction"]) for r in result.results if "correction" in r.details}
    if corrected:
        lines += ["", f"p-adj: p-values adjusted across the columns ({', '.join(sorted(corrected))})"]
    verdict = "DRIFTED" if result.dataset_drifted else "not drifted"
    drifted = ", ".join(result.drifted_columns) or "none"
    lines += [
        "",
        f"reference rows: {result.reference_rows}  current rows: {result.current_rows}  "
        f"drifted columns: {drifted}",
        f"drift share: {result.drift_share:.2f}  dataset: {verdict}",
    ]
    return "\n".join(lines) + "\n"


def _quality_notes(result: DatasetDrift) -> list[str]:
    from monitor.drift import ColumnKind

    notes = []
    for q in result.columns:
        facts = []
        if q.kind is ColumnKind.SKIPPED:
            facts.append(f"skipped ({q.kind_reason})")
        for side, missing, count in (
            ("reference", q.reference_missing, q.reference_count),
            ("current", q.current_missing, q.current_count),
        ):
            if missing:
                share = missing / (missing + count) if missing + count else 1.0
                facts.append(f"{missing} missing in {side} ({share:.1%})")
        if q.new_categories:
            shown = ", ".join(q.new_categories[:5]) + (", ..." if len(q.new_categories) > 5 else "")
            facts.append(f"new categories: {shown}")
        if q.reference_constant:
            facts.append("constant in reference")
        if q.current_constant and not q.reference_constant:
            facts.append("constant in current")
        if facts:
            notes.append(f"{q.column}: " + "; ".join(facts))
    return notes
