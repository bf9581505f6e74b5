"""The column checks accept exactly the batches the row checks accept, or hand them over: never a
batch the row checks refuse, and what they store reads as the same values."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.sources.ingest_bodies import json_table
from monitor.sources.ingest_columns import checked_table, json_objects, json_texts, records_rows
from monitor.sources.ingest_rows import BatchRejected, RowSchema, validate_rows
from monitor.store.ingest import PushedRows

SCHEMA = RowSchema(
    "prediction_id",
    "timestamp",
    True,
    {
        "age": "integer",
        "spend": "number",
        "plan": "string",
        "active": "boolean",
        "signup": "timestamp",
        "anything": None,
    },
)
LABELS = RowSchema("prediction_id", "labelled_at", False, {"label": "integer"}, required=("label",))
EARLIEST, LATEST = datetime(2026, 1, 1), datetime(2026, 12, 31)


def row(i: int, **changes: Any) -> dict[str, Any]:
    base = {
        "prediction_id": f"p{i}",
        "timestamp": f"2026-11-20T10:{i % 60:02d}:00+01:00",
        "age": 30 + i,
        "spend": 10.5 * i,
        "plan": ["free", "pro"][i % 2],
        "active": i % 3 == 0,
        "signup": "2025-01-02T03:04:05Z",
        "anything": 1.5 * i + 0.25,
    }
    return {**base, **changes}


def by_columns(rows: Any, schema: RowSchema = SCHEMA, media: str = "application/json") -> PushedRows | None:
    body = rows if isinstance(rows, bytes) else json.dumps(rows).encode()
    table = json_table(body, media, schema)
    if table is None:
        return None
    return checked_table(table, schema, objects=schema is not LABELS, earliest=EARLIEST, latest=LATEST)


def by_rows(rows: list[Any], schema: RowSchema = SCHEMA) -> PushedRows:
    return records_rows(
        validate_rows(rows, schema, earliest=EARLIEST, latest=LATEST), objects=schema is not LABELS
    )


def stored(batch: PushedRows) -> list[tuple[str, datetime | None, Any]]:
    return [
        (i, t, json.loads(p))
        for i, t, p in zip(
            batch.ids.to_pylist(), batch.times.to_pylist(), batch.payloads.to_pylist(), strict=True
        )
    ]


def test_a_plain_batch_is_checked_by_columns_and_stored_as_the_row_checks_would() -> None:
    rows = [row(i) for i in range(5)]
    fast = by_columns(rows)
    assert fast is not None
    assert stored(fast) == stored(by_rows(rows))
    first = stored(fast)[0]
    assert first[0] == "p0" and first[1] == datetime(2026, 11, 20, 9, 0)  # +01:00 made UTC
    assert first[2] == {
        "age": 30,
        "spend": 0.0,
        "plan": "free",
        "active": True,
        "signup": "2025-01-02T03:04:05",
        "anything": 0.25,
    }


def test_missing_and_null_values_are_left_out_of_the_stored_object_by_both_paths() -> None:
    rows = [row(0, plan=None), {k: v for k, v in row(1).items() if k != "spend"}]
    fast = by_columns(rows)
    assert fast is not None
    assert [p for _, _, p in stored(fast)] == [p for _, _, p in stored(by_rows(rows))]
    assert "plan" not in stored(fast)[0][2] and "spend" not in stored(fast)[1][2]


def test_integer_ids_are_stored_as_text() -> None:
    rows = [row(i, prediction_id=1000 + i) for i in range(3)]
    fast = by_columns(rows)
    assert fast is not None and fast.ids.to_pylist() == ["1000", "1001", "1002"]


@pytest.mark.parametrize(
    "rows",
    [
        [row(0), row(1, age="forty")],  # wrong type
        [row(0), row(1, spend=True)],  # a boolean is no number
        [row(0, plan=5)],
        [row(0, active=1)],
        [row(0), row(1, prediction_id="p0")],  # repeated id
        [row(0, prediction_id="")],
        [row(0, prediction_id="x" * 201)],
        [row(0, prediction_id=None)],
        [row(0, prediction_id=1.5)],
        [row(0, timestamp=None)],
        [row(0, timestamp="yesterday")],
        [row(0, timestamp="2027-06-01T00:00:00Z")],  # after the accepted range
        [row(0, signup="2025-02-30T00:00:00")],
        [row(0, plan="a\x00b")],
        [row(0, shoe_size=44)],  # unknown column
        [row(0, anything=[1, 2])],
        [row(0, anything={"a": 1})],
        [row(0), "not an object"],
        [row(0), None],
        [row(0, age=2**63)],
        [row(0, age=3.0)],  # the row checks accept it (as 3): handed over all the same
        [row(0), row(1, anything=2.0)],  # untyped: 2.0 stays a float only through the row checks
        # Untyped, no value in the first rows: taken for integers, which 2.5 is not.
        [*(row(i, anything=None) for i in range(20)), row(20, anything=2.5)],
        [],
    ],
)
def test_anything_the_column_checks_cannot_prove_right_is_handed_to_the_row_checks(rows: list[Any]) -> None:
    assert by_columns(rows) is None


@pytest.mark.parametrize(
    "body",
    [
        b'[{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00", "spend": NaN}]',
        b'[{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00", "spend": Infinity}]',
        b'[{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00", "anything": -Infinity}]',
        b'[{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00", "spend": 1e400}]',
        b'[{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00", "plan": "\\ud800"}]',
        b'[{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00", "age": 1, "age": 2}]',
        b'\xef\xbb\xbf[{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00"}]',
        b'[{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00"}] [1]',
        b'{"rows": [{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00"}], "more": 1}',
        b'{"rows": null}',
        b'[{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00", "anything": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}]",
        b'[{"prediction_id": "a", "timestamp": "2026-11-20T00:00:00", "zzz": '
        + b"{" * 100_000
        + b"}" * 100_000
        + b"}]",
    ],
)
def test_json_that_python_would_read_differently_or_refuse_is_left_to_python(body: bytes) -> None:
    assert json_table(body, "application/json", SCHEMA) is None or by_columns(body) is None


def test_ndjson_takes_one_object_a_line() -> None:
    lines = [json.dumps(row(i)) for i in range(3)]
    good = ("\r\n".join(lines) + "\n\n").encode()
    fast = by_columns(good, media="application/x-ndjson")
    assert fast is not None and fast.ids.to_pylist() == ["p0", "p1", "p2"]
    two_on_a_line = (lines[0] + " " + lines[1] + "\n" + lines[2]).encode()
    assert by_columns(two_on_a_line, media="application/x-ndjson") is None
    assert by_columns(b'{"prediction_id": "a"}\nnull\n', media="application/x-ndjson") is None


def test_labels_store_their_value_and_leave_a_missing_time_to_arrival() -> None:
    rows: list[Any] = [{"prediction_id": "p1", "label": 1}, {"prediction_id": "p2", "label": 0}]
    fast = by_columns(rows, LABELS)
    assert fast is not None
    assert stored(fast) == [("p1", None, 1), ("p2", None, 0)] == stored(by_rows(rows, LABELS))
    assert by_columns([{"prediction_id": "p1", "label": None}], LABELS) is None
    assert by_columns([{"prediction_id": "p1"}], LABELS) is None


def test_json_texts_escape_what_json_must_and_read_back_exactly() -> None:
    strings = pa.array(["plain", 'quote " and \\ back', "tab\tand\nnewline", "é 😀 \u2028", None])
    assert [
        None if t is None else json.loads(t) for t in json_texts(strings).to_pylist()
    ] == strings.to_pylist()
    floats = pa.array([0.1, 1 / 3, 1e300, -0.0, 5.0, 2.5e-320, 123456789012345680.0, None])
    texts = json_texts(floats).to_pylist()
    assert [None if t is None else json.loads(t) for t in texts] == floats.to_pylist()
    assert texts[:3] == ["0.1", "0.3333333333333333", "1e+300"]
    assert json_texts(pa.array([2**63 - 1, -5])).to_pylist() == ["9223372036854775807", "-5"]
    assert json_texts(pa.array([True, False])).to_pylist() == ["true", "false"]


def test_json_objects_with_and_without_missing_values() -> None:
    values = {"a": pa.array([1, None]), 'we"ird': pa.array(["x", "y"])}
    assert [json.loads(t) for t in json_objects(values, 2).to_pylist()] == [
        {"a": 1, 'we"ird': "x"},
        {'we"ird': "y"},
    ]
    full = {"a": pa.array([1, 2]), "b": pa.array([0.5, 1.5])}
    assert json_objects(full, 2).to_pylist() == ['{"a": 1, "b": 0.5}', '{"a": 2, "b": 1.5}']
    assert json_objects({}, 2).to_pylist() == ["{}", "{}"]


scalars = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(scalars, min_size=1, max_size=6),
    st.sampled_from(["number", "integer", "string", "boolean", None]),
)
def test_whatever_a_column_holds_both_paths_agree(values: list[Any], declared: str | None) -> None:
    schema = RowSchema("id", "t", True, {"x": declared})
    rows = [{"id": f"r{i}", "t": "2026-06-01T00:00:00", "x": v} for i, v in enumerate(values)]
    try:
        expected: list[Any] | None = stored(by_rows(rows, schema))
    except BatchRejected:
        expected = None
    table = json_table(json.dumps(rows).encode(), "application/json", schema)
    fast = None if table is None else checked_table(table, schema, earliest=EARLIEST, latest=LATEST)
    if fast is None:
        return  # handed over: the row checks decide, as above
    assert expected is not None, "the column checks accepted a batch the row checks refuse"
    got = stored(fast)
    assert [(i, t) for i, t, _ in got] == [(i, t) for i, t, _ in expected]
    for (_, _, mine), (_, _, theirs) in zip(got, expected, strict=True):
        assert mine.keys() == theirs.keys()
        for key in mine:
            a, b = mine[key], theirs[key]
            if declared == "number":  # read back as float64 either way
                assert float(a) == float(b)
            else:
                assert a == b and type(a) is type(b)
