"""Rows pushed over HTTP: parsing a body and checking every row against the model's schema. Pure.

A batch is all or nothing: every row is checked, every problem is reported with its row index (0-based,
in the order sent) and field, and one bad row rejects the whole batch.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_REPORTED_ERRORS = 100
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the batch as a whole
    field: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


class BatchRejected(Exception):
    """The batch is refused whole; `errors` says why, row by row."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "; ".join(
            (f"row {e.row}" if e.row is not None else "batch")
            + (f" {e.field}" if e.field else "")
            + f": {e.message}"
            for e in errors[:3]
        )
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"batch rejected, nothing was written: {shown}{more}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": str(self),
            "error_count": len(self.errors),
            "errors": [e.to_dict() for e in self.errors[:MAX_REPORTED_ERRORS]],
        }


class UnsupportedMediaType(Exception):
    pass


class BatchTooLarge(Exception):
    pass


@dataclass(frozen=True)
class RowSchema:
    """What one stream accepts: the id and time columns and every other column with its type or None
    (any scalar). `time_required` is False for labels, whose time defaults to their arrival."""

    id_column: str
    time_column: str | None
    time_required: bool
    columns: Mapping[str, str | None] = field(default_factory=dict)
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Record:
    id: str
    time: datetime | None  # naive UTC
    values: dict[str, Any]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON; send null for a missing value")


def parse_body(body: bytes, content_type: str) -> list[Any]:
    """JSON (a list of row objects, or {"rows": [...]}) or NDJSON (one object per line)."""
    media = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BatchRejected([RowError(None, None, f"the body is not UTF-8: {exc}")]) from None
    if media in NDJSON_TYPES:
        rows, errors = [], []
        # "\n" only: str.splitlines() would also split at U+2028 and others, legal inside a JSON string.
        lines = (line.removesuffix("\r") for line in text.split("\n"))
        for number, line in enumerate(line for line in lines if line.strip()):
            try:
                rows.append(json.loads(line, parse_constant=_reject_constant))
            except RecursionError:
                errors.append(RowError(number, None, "nested too deeply"))
            except ValueError as exc:
                errors.append(RowError(number, None, f"not valid JSON: {exc}"))
        if errors:
            raise BatchRejected(errors)
        return rows
    if media in JSON_TYPES or media == "":
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            raise BatchRejected([RowError(None, None, "the body is nested too deeply")]) from None
        except ValueError as exc:
            raise BatchRejected([RowError(None, None, f"the body is not valid JSON: {exc}")]) from None
        if isinstance(data, dict) and set(data) == {"rows"}:
            data = data["rows"]
        if not isinstance(data, list):
            raise BatchRejected([RowError(None, None, 'expected a JSON list of rows or {"rows": [...]}')])
        return data
    raise UnsupportedMediaType(
        f"content type {media!r} is not accepted; send application/json, application/x-ndjson "
        "or application/vnd.apache.parquet"
    )


def parse_time(value: Any) -> datetime:
    """An ISO 8601 string; without an offset it is UTC. Returns naive UTC, the stored convention."""
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 date-time string, got {_describe(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError(f"{value!r} is outside the representable range") from None
    return moment


_FLOAT_MAX = int(sys.float_info.max)


def _describe(value: Any) -> str:
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "object"}
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return "null" if value is None else f"{kind.get(type(value), type(value).__name__)} {shown}"


def check_value(value: Any, expected: str | None) -> Any:
    """The value as stored, or ValueError saying what was expected. None (missing) always passes."""
    if value is None:
        return None
    if expected is None:
        if isinstance(value, dict | list):
            raise ValueError(f"expected a single value, got {_describe(value)}")
        return value
    if expected == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {_describe(value)}")
        if isinstance(value, int) and not -_FLOAT_MAX <= value <= _FLOAT_MAX:  # read back as float: inf
            raise ValueError(f"{_describe(value)} is too large for a 64-bit float")
        return value
    if expected == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {_describe(value)}")
        if not INT64_MIN <= value <= INT64_MAX:  # read back as int64: it would not fit
            raise ValueError(f"{_describe(value)} is outside the 64-bit integer range")
        return value
    if expected == "string":
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {_describe(value)}")
        return value
    if expected == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {_describe(value)}")
        return value
    if expected == "timestamp":
        return parse_time(value).isoformat()
    raise ValueError(f"unknown column type {expected!r}")


# PostgreSQL text and jsonb cannot hold U+0000 (COPY fails); refused on SQLite too, to agree.
_NUL = "contains a NUL character (U+0000), which cannot be stored"
# A lone surrogate (JSON's "\ud800" with no pair) is no character: it cannot be encoded to store,
# read back or show, and one such value would break every run of its window.
_SURROGATE = "contains a lone surrogate (an unpaired \\uD800-\\uDFFF escape), which is not text"
# Past this many errors a batch stops being checked: it is rejected anyway.
MAX_ERRORS_KEPT = 1000


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored, or None."""
    if "\x00" in text:
        return _NUL
    if any("\ud800" <= c <= "\udfff" for c in text):
        return _SURROGATE
    return None


def shown(name: object) -> str:
    """A name from the request as an error message can hold it (lone surrogates escaped)."""
    return str(name).encode("utf-8", "backslashreplace").decode("utf-8")[:200]


def _check_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise ValueError(f"expected a non-empty string or integer id, got {_describe(value)}")
    text = str(value)
    if len(text) > 200:
        raise ValueError("ids are at most 200 characters")
    problem = unstorable(text)
    if problem:
        raise ValueError(problem)
    return text


def validate_rows(
    rows: Iterable[Any],
    schema: RowSchema,
    *,
    earliest: datetime = datetime.min,
    latest: datetime = datetime.max,
) -> list[Record]:
    """Every row checked, its time (naive UTC) within [earliest, latest]; BatchRejected with the errors
    (up to MAX_ERRORS_KEPT) if any row is wrong, else the records."""
    known = {schema.id_column, *schema.columns}
    if schema.time_column:
        known.add(schema.time_column)
    records: list[Record] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append(RowError(index, None, f"expected a JSON object, got {_describe(row)}"))
            continue
        unknown = [name for name in row if name not in known]
        row_errors: list[RowError] = [
            RowError(index, shown(name), f"unknown column (known: {', '.join(sorted(known))})")
            for name in unknown[:5]
        ]
        identifier = _row_id(index, row, schema, row_errors)
        moment = _row_time(index, row, schema, row_errors)
        values = _row_values(index, row, schema, row_errors)
        if identifier and not row_errors:
            if identifier in first_seen:
                where = f"id {identifier!r} is also at row {first_seen[identifier]}"
                row_errors.append(RowError(index, schema.id_column, where))
            first_seen.setdefault(identifier, index)
        if moment is not None and not row_errors and not (earliest <= moment <= latest):
            span = f"{earliest.isoformat()} to {latest.isoformat()}"
            where = f"{moment.isoformat()} is outside the accepted range {span} (ingest.max_row_age/_ahead)"
            row_errors.append(RowError(index, schema.time_column, where))
        if row_errors:
            errors.extend(row_errors)
            if len(errors) >= MAX_ERRORS_KEPT:
                errors.append(RowError(None, None, f"more than {MAX_ERRORS_KEPT} errors: checking stopped"))
                break
        else:
            records.append(Record(identifier, moment, values))
    if not errors and not records:
        errors.append(RowError(None, None, "the batch holds no rows"))
    if errors:
        raise BatchRejected(errors)
    return records


def _row_id(index: int, row: dict[str, Any], schema: RowSchema, errors: list[RowError]) -> str:
    if row.get(schema.id_column) is None:
        errors.append(RowError(index, schema.id_column, "missing id"))
        return ""
    try:
        return _check_id(row[schema.id_column])
    except ValueError as exc:
        errors.append(RowError(index, schema.id_column, str(exc)))
        return ""


def _row_time(index: int, row: dict[str, Any], schema: RowSchema, errors: list[RowError]) -> datetime | None:
    if schema.time_column is None:
        return None
    if row.get(schema.time_column) is None:
        if schema.time_required:
            errors.append(RowError(index, schema.time_column, "missing time"))
        return None
    try:
        return parse_time(row[schema.time_column])
    except ValueError as exc:
        errors.append(RowError(index, schema.time_column, str(exc)))
        return None


def _row_values(index: int, row: dict[str, Any], schema: RowSchema, errors: list[RowError]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, expected in schema.columns.items():
        value = row.get(name)
        if value is None and name in schema.required:
            errors.append(RowError(index, name, "missing value"))
            continue
        try:
            checked = check_value(value, expected)
        except ValueError as exc:
            errors.append(RowError(index, name, str(exc)))
            continue
        if isinstance(checked, float) and not math.isfinite(checked):
            errors.append(RowError(index, name, "not a finite number"))
        elif isinstance(checked, str) and unstorable(checked):
            errors.append(RowError(index, name, unstorable(checked) or ""))
        elif name in row:
            values[name] = checked
    return values
