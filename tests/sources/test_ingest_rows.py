"""A pushed batch is checked before anything is stored: values no window could ever read, bodies no
parser should recurse into, times outside the accepted range, and error lists that stay small."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from monitor.sources.ingest_rows import (
    MAX_ERRORS_KEPT,
    BatchRejected,
    RowSchema,
    parse_body,
    parse_time,
    validate_rows,
)

SCHEMA = RowSchema("prediction_id", "timestamp", True, {"x": None, "city": "string"})
ROW = {"prediction_id": "a", "timestamp": "2026-11-20T10:00:00Z", "x": 1.5, "city": "Oslo"}


def errors_of(rows: list[dict[str, object]], **bounds: datetime) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(BatchRejected) as caught:
        validate_rows(rows, SCHEMA, **bounds)
    return [(e.row, e.field, e.message) for e in caught.value.errors]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({**ROW, "city": "Os\ud800lo"}, "city"),
        ({**ROW, "prediction_id": "a\udfff"}, "prediction_id"),
        ({**ROW, "city": "Os\x00lo"}, "city"),
    ],
)
def test_lone_surrogates_and_nul_are_refused_at_the_door(row: dict[str, object], field: str) -> None:
    ((index, where, message),) = errors_of([row])
    assert (index, where) == (0, field)
    assert "surrogate" in message or "NUL" in message


def test_a_column_name_holding_a_surrogate_is_named_in_an_error_that_can_be_sent() -> None:
    ((_, where, message),) = errors_of([{**ROW, "bad\ud800": 1}])
    assert message.startswith("unknown column") and where == "bad\\ud800"
    json.dumps(where, ensure_ascii=False).encode("utf-8")  # encodable: the error can be answered


def test_times_outside_the_accepted_range_are_refused() -> None:
    earliest, latest = datetime(2026, 1, 1), datetime(2026, 12, 1)
    found = errors_of(
        [
            {**ROW, "timestamp": "1970-01-01T00:00:00Z"},
            {**ROW, "prediction_id": "b", "timestamp": "9999-01-01T00:00:00"},
        ],
        earliest=earliest,
        latest=latest,
    )
    assert [(row, field) for row, field, _ in found] == [(0, "timestamp"), (1, "timestamp")]
    assert "outside the accepted range" in found[0][2]
    assert validate_rows([ROW], SCHEMA, earliest=earliest, latest=latest)[0].id == "a"


def test_a_time_that_overflows_when_made_utc_is_an_error_not_a_crash() -> None:
    with pytest.raises(ValueError, match="outside the representable range"):
        parse_time("0001-01-01T00:00:00+14:00")


def test_deeply_nested_json_is_refused() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(BatchRejected, match="nested too deeply"):
        parse_body(deep, "application/json")
    with pytest.raises(BatchRejected, match="nested too deeply"):
        parse_body(deep, "application/x-ndjson")


def test_a_batch_of_many_bad_rows_stops_being_checked_with_few_errors_kept() -> None:
    bad = {**ROW, **{f"unknown{i}": 1 for i in range(30)}}
    found = errors_of([{**bad, "prediction_id": str(i)} for i in range(5_000)])
    # five errors a row at most (the unknown columns named), and no more than the cap in all
    assert len(found) == MAX_ERRORS_KEPT + 1 and found[-1][2].endswith("checking stopped")
    assert {row for row, _, _ in found[:-1]} == set(range(MAX_ERRORS_KEPT // 5))
