"""Rows pushed over HTTP to a real server: accepted whole or rejected whole, stored once, read back."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score
from sqlalchemy import func, select

from monitor import pipeline
from monitor.pipeline.label_refresh import refresh_late_labels
from monitor.pipeline.runtime import Runtime
from monitor.store.metrics import latest_metric_values
from monitor.store.tables import IngestedLabelRow, IngestedPredictionRow
from monitor.web.app import create_app
from monitor.windows import Window
from tests.conftest import RuntimeFactory
from tests.servers import serving

DAY0 = datetime(2026, 11, 20, tzinfo=UTC)
MODEL = "churn-v1"


def ingest_config(db_url: str) -> dict[str, Any]:
    return {
        "database": {"url": db_url},
        "ingest": {"max_body_bytes": 8192, "max_rows": 40},
        "monitors": {
            "churn": {
                "model": MODEL,
                "source": {"type": "ingest"},
                # Label checkpoints every minute: labels pushed now count a minute later.
                "labels": {"source": {"type": "ingest"}, "recompute_every": "1m"},
                "reference": {"type": "files", "path": "reference.parquet"},
                "schema": {
                    "features": ["age", "plan", "spend", "active", "signup"],
                    "types": {
                        "age": "integer",
                        "plan": "string",
                        "spend": "number",
                        "active": "boolean",
                        "signup": "timestamp",
                        "prediction": "integer",
                        "label": "integer",
                    },
                },
                "metrics": ["accuracy", "roc_auc"],
            }
        },
    }


def rows(count: int, *, start: int = 0, day: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(start)
    out = []
    for i in range(start, start + count):
        score = float(rng.random())
        out.append(
            {
                "prediction_id": f"p{i}",
                "timestamp": (DAY0 + timedelta(days=day, minutes=7 * i)).isoformat(),
                "age": int(rng.integers(18, 80)),
                "plan": str(rng.choice(["free", "pro"])),
                "spend": round(float(rng.gamma(2, 10)), 2),
                "active": bool(rng.random() < 0.7),
                "signup": f"2025-01-0{1 + i % 9}T00:00:00Z",
                "score": score,
                "prediction": int(score > 0.5),
            }
        )
    return out


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, make_runtime: RuntimeFactory) -> Runtime:
    reference = pd.DataFrame(rows(30, start=1000))
    reference["timestamp"] = pd.to_datetime(reference["timestamp"])
    reference["signup"] = pd.to_datetime(reference["signup"])
    reference.to_parquet(tmp_path / "reference.parquet")
    return make_runtime(ingest_config(db_url), now=DAY0)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[httpx.Client]:
    with serving(create_app(runtime)) as server, server.client() as http:
        yield http


def stored(runtime: Runtime) -> tuple[int, int]:
    with runtime.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(IngestedPredictionRow)) or 0,
            session.scalar(select(func.count()).select_from(IngestedLabelRow)) or 0,
        )


PREDICTIONS = f"/api/v1/models/{MODEL}/predictions"
LABELS = f"/api/v1/models/{MODEL}/ground-truth"
PARQUET = "application/vnd.apache.parquet"


def test_a_batch_is_stored_once_and_read_back_typed(client: httpx.Client, runtime: Runtime) -> None:
    batch = rows(30)
    first = client.post(PREDICTIONS, json=batch)
    again = client.post(PREDICTIONS, json={"rows": batch})  # a client retrying after a timeout
    assert first.status_code == 200 and first.json() == {"rows": 30, "accepted": 30, "duplicates": 0}
    assert again.json() == {"rows": 30, "accepted": 0, "duplicates": 30}
    assert stored(runtime) == (30, 0)
    window = runtime.source("churn").read(DAY0, DAY0 + timedelta(hours=2), time_column="timestamp")
    sent = pd.DataFrame(batch[:18])  # 7-minute steps: rows 0..17 fall in the first two hours
    assert sorted(window.prediction_id) == sorted(sent.prediction_id)
    row = window.set_index("prediction_id").loc["p3"]
    assert (row.age, row.plan, row.spend, row.active) == (
        batch[3]["age"],
        batch[3]["plan"],
        batch[3]["spend"],
        batch[3]["active"],
    )
    assert window["age"].dtype == "int64" and window["spend"].dtype == "float64"
    assert str(window["timestamp"].dt.tz) == "UTC" and str(window["signup"].dt.tz) == "UTC"


def test_ndjson_is_accepted(client: httpx.Client, runtime: Runtime) -> None:
    body = "\n".join(json.dumps(r) for r in rows(5)) + "\n"
    response = client.post(PREDICTIONS, content=body, headers={"content-type": "application/x-ndjson"})
    assert response.json() == {"rows": 5, "accepted": 5, "duplicates": 0}


def rejected(response: httpx.Response) -> set[tuple[int | None, str | None]]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "nothing was written" in detail["message"]
    return {(e["row"], e["field"]) for e in detail["errors"]}


def test_malformed_batches_are_rejected_whole_with_row_errors(client: httpx.Client, runtime: Runtime) -> None:
    good = rows(6)
    wrong_type = [*good[:2], {**good[2], "age": "forty"}, {**good[3], "active": "yes"}]
    missing_id = [good[0], {k: v for k, v in good[1].items() if k != "prediction_id"}]
    unknown = [good[0], {**good[1], "shoe_size": 44}]
    bad_time = [{**good[0], "timestamp": "yesterday"}, {**good[1], "timestamp": None}]
    repeated = [good[0], good[1], {**good[2], "prediction_id": "p0"}]
    assert rejected(client.post(PREDICTIONS, json=wrong_type)) == {(2, "age"), (3, "active")}
    assert rejected(client.post(PREDICTIONS, json=missing_id)) == {(1, "prediction_id")}
    assert rejected(client.post(PREDICTIONS, json=unknown)) == {(1, "shoe_size")}
    assert rejected(client.post(PREDICTIONS, json=bad_time)) == {(0, "timestamp"), (1, "timestamp")}
    assert rejected(client.post(PREDICTIONS, json=repeated)) == {(2, "prediction_id")}
    assert rejected(client.post(PREDICTIONS, json=[good[0], "not an object"])) == {(1, None)}
    assert rejected(client.post(PREDICTIONS, json=[])) == {(None, None)}
    nan = '[{"prediction_id": "p1", "timestamp": "2026-11-20T00:00:00Z", "spend": NaN}]'
    assert rejected(client.post(PREDICTIONS, content=nan, headers={"content-type": "application/json"})) == {
        (None, None)
    }
    ndjson = json.dumps(good[0]) + "\n{broken\n"
    assert rejected(
        client.post(PREDICTIONS, content=ndjson, headers={"content-type": "application/x-ndjson"})
    ) == {(1, None)}
    message = client.post(PREDICTIONS, json=wrong_type).json()["detail"]["errors"][0]["message"]
    assert message == "expected an integer, got string 'forty'"
    assert stored(runtime) == (0, 0)


def test_oversize_bodies_and_batches_are_refused(client: httpx.Client, runtime: Runtime) -> None:
    big = json.dumps(rows(39), indent=2)  # within 40 rows, but well over 8192 bytes
    assert len(big) > 8192
    response = client.post(PREDICTIONS, content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "8192 bytes" in response.json()["detail"]
    streamed = client.post(
        PREDICTIONS, content=iter([big.encode()]), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413  # no Content-Length: counted while reading
    many = [{"prediction_id": f"q{i}", "timestamp": "2026-11-20T00:00:00Z"} for i in range(41)]
    assert len(json.dumps(many)) < 8192
    too_many = client.post(PREDICTIONS, json=many)
    assert too_many.status_code == 413 and "more than the limit of 40" in too_many.json()["detail"]
    assert stored(runtime) == (0, 0)


def test_unknown_models_and_media_types(client: httpx.Client) -> None:
    assert client.post("/api/v1/models/nope/predictions", json=rows(1)).status_code == 404
    response = client.post(PREDICTIONS, content=b"a,b\n1,2", headers={"content-type": "text/csv"})
    assert response.status_code == 415


def test_labels_join_by_id_and_metrics_follow(client: httpx.Client, runtime: Runtime) -> None:
    batch = rows(40, day=0)
    rng = np.random.default_rng(9)
    truth = [int(r["score"] + rng.normal(0, 0.3) > 0.5) for r in batch]
    labels = [{"prediction_id": r["prediction_id"], "label": t} for r, t in zip(batch, truth, strict=True)]
    assert client.post(PREDICTIONS, json=batch).status_code == 200
    assert rejected(client.post(LABELS, json=[{"prediction_id": "p1"}])) == {(0, "label")}
    assert rejected(client.post(LABELS, json=[{"prediction_id": "p1", "label": "yes"}])) == {(0, "label")}
    # One label says it becomes known in half an hour (within ingest.max_row_ahead): a run now must
    # not use it.
    soon = datetime.now(UTC) + timedelta(minutes=30)
    late = {"prediction_id": "p0", "label": truth[0], "labelled_at": soon.isoformat()}
    assert client.post(LABELS, json=[late, *labels[1:]]).json() == {
        "rows": 40,
        "accepted": 40,
        "duplicates": 0,
    }
    assert client.post(LABELS, json=labels[:5]).json()["duplicates"] == 5
    # The other labels became known on arrival (the request time). The window ended long ago, so
    # its run counts the labels known then (none); the scheduler's next label pass, two minutes
    # later, adds a version with the labels known by then.
    now = datetime.now(UTC) + timedelta(minutes=2)
    window = Window(DAY0, DAY0 + timedelta(days=1))
    refresh_late_labels(runtime, "churn", now=now)
    outcome = pipeline.run_monitor(runtime, "churn", window, now=now)
    assert outcome.status == "succeeded", outcome.error
    assert outcome.metrics["accuracy"] is None and outcome.row_count == 40
    refresh_late_labels(runtime, "churn", now=now)
    scores = np.array([r["score"] for r in batch])
    predicted = np.array([r["prediction"] for r in batch])
    known = slice(1, None)
    latest = newest_metrics(runtime, outcome.run_id)
    assert latest["accuracy"] == pytest.approx(
        accuracy_score(np.array(truth)[known], predicted[known]), abs=1e-12
    )
    assert latest["roc_auc"] == pytest.approx(roc_auc_score(np.array(truth)[known], scores[known]), abs=1e-12)
    # Once p0's label is known, a later pass counts it too.
    refresh_late_labels(runtime, "churn", now=soon + timedelta(minutes=2))
    assert newest_metrics(runtime, outcome.run_id)["roc_auc"] == pytest.approx(
        roc_auc_score(truth, scores), abs=1e-12
    )


def newest_metrics(runtime: Runtime, run_id: int | None) -> dict[str, float | None]:
    with runtime.sessions() as session:
        return {m: row.value for m, row in latest_metric_values(session=session, run_id=run_id or -1).items()}


def test_numbers_the_stored_types_cannot_hold_are_row_errors(client: httpx.Client, runtime: Runtime) -> None:
    good = rows(6)
    batch = [
        {**good[0], "age": 2**63},  # one past int64
        {**good[1], "age": -(2**63) - 1},
        {**good[2], "age": 1e19},  # an integral float, still outside int64
        {**good[3], "spend": 10**400},  # a JSON integer no float can hold (would read back as inf)
        {**good[4], "age": 2**63 - 1, "spend": 10**300},  # the limits themselves are fine
    ]
    response = client.post(PREDICTIONS, json=batch)
    assert rejected(response) == {(0, "age"), (1, "age"), (2, "age"), (3, "spend")}
    messages = {e["row"]: e["message"] for e in response.json()["detail"]["errors"]}
    assert messages[0] == "integer 9223372036854775808 is outside the 64-bit integer range"
    assert messages[3].endswith("is too large for a 64-bit float")
    assert stored(runtime) == (0, 0)
    assert client.post(PREDICTIONS, json=[batch[4]]).status_code == 200
    window = runtime.source("churn").read(DAY0, DAY0 + timedelta(days=1), time_column="timestamp")
    assert (int(window["age"].iloc[0]), float(window["spend"].iloc[0])) == (2**63 - 1, 1e300)


def test_ndjson_splits_rows_at_newlines_only(client: httpx.Client, runtime: Runtime) -> None:
    first, second = rows(2)
    first["plan"] = "pro\u2028plus\x85\x1c"  # separators str.splitlines() would split at
    body = json.dumps(first, ensure_ascii=False) + "\r\n" + json.dumps(second, ensure_ascii=False) + "\r\n"
    response = client.post(
        PREDICTIONS, content=body.encode(), headers={"content-type": "application/x-ndjson"}
    )
    assert response.json() == {"rows": 2, "accepted": 2, "duplicates": 0}
    window = runtime.source("churn").read(DAY0, DAY0 + timedelta(days=1), time_column="timestamp")
    assert window.set_index("prediction_id").loc["p0", "plan"] == "pro\u2028plus\x85\x1c"


def test_nul_characters_are_row_errors_on_every_database(client: httpx.Client, runtime: Runtime) -> None:
    good = rows(3)
    batch = [
        {**good[0], "prediction_id": "p\x000"},
        {**good[1], "plan": "pro\x00"},
    ]
    response = client.post(PREDICTIONS, json=batch)
    assert rejected(response) == {(0, "prediction_id"), (1, "plan")}
    assert {e["message"] for e in response.json()["detail"]["errors"]} == {
        "contains a NUL character (U+0000), which cannot be stored"
    }
    label = client.post(LABELS, json=[{"prediction_id": "p\x000", "label": 1}])
    assert rejected(label) == {(0, "prediction_id")}
    assert stored(runtime) == (0, 0)


def test_rows_are_read_in_time_then_id_order_whatever_the_order_sent(
    client: httpx.Client, runtime: Runtime
) -> None:
    batch = rows(12)
    for i, row in enumerate(batch):
        row["timestamp"] = (DAY0 + timedelta(minutes=i % 3)).isoformat()  # ties on time
    shuffled = [batch[i] for i in (7, 2, 11, 0, 9, 4, 1, 10, 5, 8, 3, 6)]
    assert client.post(PREDICTIONS, json=shuffled[:6]).status_code == 200
    assert client.post(PREDICTIONS, json=shuffled[6:]).status_code == 200
    window = runtime.source("churn").read(DAY0, DAY0 + timedelta(hours=1), time_column="timestamp")
    expected = sorted(batch, key=lambda r: (r["timestamp"], r["prediction_id"]))
    assert list(window.prediction_id) == [r["prediction_id"] for r in expected]


def parquet(batch: list[dict[str, Any]]) -> bytes:
    frame = pd.DataFrame(batch)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])  # Arrow timestamps, with their offset
    sink = io.BytesIO()
    frame.to_parquet(sink, index=False)
    return sink.getvalue()


def test_parquet_bodies_are_checked_and_stored_as_json_ones_are(
    client: httpx.Client, runtime: Runtime
) -> None:
    batch = rows(30)
    as_json = client.post(PREDICTIONS, json=batch[:15])
    as_parquet = client.post(PREDICTIONS, content=parquet(batch[15:]), headers={"content-type": PARQUET})
    assert as_json.json() == as_parquet.json() == {"rows": 15, "accepted": 15, "duplicates": 0}
    again = client.post(PREDICTIONS, content=parquet(batch[10:20]), headers={"content-type": PARQUET})
    assert again.json() == {"rows": 10, "accepted": 0, "duplicates": 10}
    window = runtime.source("churn").read(DAY0, DAY0 + timedelta(days=1), time_column="timestamp")
    sent = pd.DataFrame(batch).set_index("prediction_id")
    read = window.set_index("prediction_id").loc[sent.index]
    for column in ["age", "plan", "spend", "active", "score", "prediction"]:
        assert read[column].tolist() == sent[column].tolist(), column
    assert (read["timestamp"] == pd.to_datetime(sent["timestamp"], utc=True)).all()
    assert (read["signup"] == pd.to_datetime(sent["signup"], utc=True)).all()


def test_a_wrong_parquet_body_is_rejected_with_its_columns_and_rows(
    client: httpx.Client, runtime: Runtime
) -> None:
    unknown = client.post(
        PREDICTIONS,
        content=parquet([{**r, "shoe_size": 44} for r in rows(3)]),
        headers={"content-type": PARQUET},
    )
    assert rejected(unknown) == {(None, "shoe_size")}
    # Written by pyarrow from Python values: NaN stays NaN (pandas would write it as null, missing).
    sink = io.BytesIO()
    pq.write_table(
        pa.Table.from_pylist(
            [{**r, "spend": math.nan if i == 1 else r["spend"]} for i, r in enumerate(rows(3))]
        ),
        sink,
    )
    wrong_row = client.post(PREDICTIONS, content=sink.getvalue(), headers={"content-type": PARQUET})
    assert rejected(wrong_row) == {(1, "spend")}
    assert wrong_row.json()["detail"]["errors"][0]["message"] == "not a finite number"
    broken = client.post(PREDICTIONS, content=b"PAR1 not really", headers={"content-type": PARQUET})
    assert rejected(broken) == {(None, None)}
    too_many = client.post(PREDICTIONS, content=parquet(rows(41)), headers={"content-type": PARQUET})
    assert too_many.status_code == 413 and "more than the limit of 40" in too_many.json()["detail"]
    assert stored(runtime) == (0, 0)


def test_a_batch_partly_stored_before_adds_only_its_new_ids(client: httpx.Client, runtime: Runtime) -> None:
    assert client.post(PREDICTIONS, json=rows(10)).json()["accepted"] == 10
    assert client.post(PREDICTIONS, json=rows(10, start=5)).json() == {
        "rows": 10,
        "accepted": 5,
        "duplicates": 5,
    }
    assert stored(runtime) == (15, 0)
