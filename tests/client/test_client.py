"""The background logging client against a real server that goes down and comes back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from monitor_client import MonitorClient
from sqlalchemy import select

from monitor.pipeline.runtime import Runtime
from monitor.store.tables import IngestedLabelRow, IngestedPredictionRow
from monitor.web.app import create_app
from tests.conftest import ADMIN_TOKEN, RuntimeFactory
from tests.servers import LiveServer
from tests.sources.test_ingest import DAY0, MODEL, ingest_config, rows


@pytest.fixture
def runtime(sqlite_url: str, tmp_path: Path, make_runtime: RuntimeFactory) -> Runtime:
    (tmp_path / "reference.parquet").touch()  # never read: the tests only push rows
    return make_runtime(ingest_config(sqlite_url), now=DAY0)


@pytest.fixture
def server(runtime: Runtime) -> Iterator[LiveServer]:
    """Not started: each test decides when the service is up."""
    live = LiveServer(create_app(runtime))
    yield live
    live.stop()


@pytest.fixture
def make_client(server: LiveServer, tmp_path: Path) -> Iterator[Callable[..., MonitorClient]]:
    made: list[MonitorClient] = []

    def make(**options: Any) -> MonitorClient:
        settings: dict[str, Any] = {
            "flush_interval": 0.05,
            "max_backoff": 0.2,
            "batch_size": 25,
            "register_atexit": False,
            "api_key": ADMIN_TOKEN,
        }
        client = MonitorClient(server.url, MODEL, spool_dir=tmp_path / "spool", **{**settings, **options})
        made.append(client)
        return client

    yield make
    for client in made:
        client.close(timeout=1)


def stored_ids(runtime: Runtime) -> tuple[list[str], list[str]]:
    with runtime.sessions() as session:
        predictions = session.scalars(select(IngestedPredictionRow.prediction_id)).all()
        labels = session.scalars(select(IngestedLabelRow.prediction_id)).all()
    return sorted(predictions), sorted(labels)


def ids(count: int, start: int = 0) -> list[str]:
    return sorted(f"p{i}" for i in range(start, start + count))


def spool_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "spool").glob("spool-*"))


def test_rows_logged_while_the_service_restarts_all_arrive_once(
    server: LiveServer, make_client: Callable[..., MonitorClient], runtime: Runtime
) -> None:
    server.start()
    client = make_client()
    for row in rows(60):
        client.log_prediction(row)
    assert client.flush(timeout=30)
    server.stop()
    for row in rows(90, start=60):  # the service is down: the caller is not held up, nothing is lost
        client.log_prediction(row)
    for i in range(0, 150, 3):
        client.log_label(f"p{i}", i % 2)
    server.start()
    assert client.flush(timeout=30)
    predictions, labels = stored_ids(runtime)
    assert predictions == ids(150)
    assert labels == sorted(f"p{i}" for i in range(0, 150, 3))
    assert client.stats.sent == 150 + 50 and client.stats.rejected == 0


def test_a_full_queue_spills_to_disk_and_is_sent_when_the_service_is_back(
    server: LiveServer, make_client: Callable[..., MonitorClient], runtime: Runtime, tmp_path: Path
) -> None:
    client = make_client(max_queue=10)
    for row in rows(200):
        client.log_prediction(row)
    # At most one batch in hand and ten queued; the rest is on disk, not dropped and not blocking.
    assert client.stats.spooled >= 200 - 25 - 10
    assert sum(len(p.read_text().splitlines()) for p in spool_files(tmp_path)) == client.stats.spooled
    server.start()
    assert client.flush(timeout=60)
    assert stored_ids(runtime)[0] == ids(200)
    assert spool_files(tmp_path) == []


def test_close_while_down_spools_and_the_next_client_sends_it(
    server: LiveServer, make_client: Callable[..., MonitorClient], runtime: Runtime, tmp_path: Path
) -> None:
    first = make_client()
    for row in rows(30):
        first.log_prediction(row)
    first.close(timeout=0.5)
    assert first.stats.spooled == 30 and first.stats.sent == 0
    # A spool left by a process that died (pid 2**22 + 1 is above Linux's pid limit).
    orphan = tmp_path / "spool" / f"spool-{2**22 + 1}-deadbeef.ndjson"
    orphan.write_text(
        "".join(json.dumps({"stream": "predictions", "row": r}) + "\n" for r in rows(5, start=30))
    )
    server.start()
    second = make_client()
    assert second.flush(timeout=30)
    assert stored_ids(runtime)[0] == ids(35)
    assert spool_files(tmp_path) == []


def test_invalid_rows_are_set_aside_and_the_rest_delivered(
    server: LiveServer, make_client: Callable[..., MonitorClient], runtime: Runtime, tmp_path: Path
) -> None:
    server.start()
    client = make_client()
    batch = rows(10)
    batch[4]["age"] = "forty"
    for row in batch:
        client.log_prediction(row)
    assert client.flush(timeout=30)
    assert stored_ids(runtime)[0] == sorted(f"p{i}" for i in range(10) if i != 4)
    (rejected,) = [
        json.loads(line) for line in (tmp_path / "spool" / "rejected.ndjson").read_text().splitlines()
    ]
    assert rejected["row"]["prediction_id"] == "p4" and "expected an integer" in rejected["reason"]
    assert client.stats.rejected == 1


def test_ids_and_times_are_filled_in(
    server: LiveServer, make_client: Callable[..., MonitorClient], runtime: Runtime
) -> None:
    server.start()
    client = make_client()
    row = {k: v for k, v in rows(1)[0].items() if k not in ("prediction_id", "timestamp")}
    prediction_id = client.log_prediction(row)
    assert client.flush(timeout=30)
    assert stored_ids(runtime)[0] == [prediction_id]


def test_values_json_cannot_carry_are_refused_to_the_caller_and_the_thread_goes_on(
    server: LiveServer, make_client: Callable[..., MonitorClient], runtime: Runtime
) -> None:
    server.start()
    client = make_client()
    first, second = rows(2)
    client.log_prediction({**first, "prediction_id": uuid.UUID(int=7)})  # a UUID id is sent as its text
    with pytest.raises(TypeError, match="column 'plan': a set cannot be sent as JSON"):
        client.log_prediction({**second, "plan": {"pro"}})
    with pytest.raises(TypeError, match="column 'age': a bytes cannot be sent as JSON"):
        client.log_prediction({**second, "age": b"41"})
    with pytest.raises(TypeError, match="column 'label': a list cannot be sent as JSON"):
        client.log_label("p1", [float("nan")])
    client.log_prediction(second)
    assert client.flush(timeout=30)
    assert stored_ids(runtime)[0] == sorted([str(uuid.UUID(int=7)), "p1"])


def test_the_background_thread_survives_a_disk_error_and_loses_nothing(
    server: LiveServer, tmp_path: Path
) -> None:
    server.start()
    (tmp_path / "spool" / "rejected.ndjson").mkdir(parents=True)  # writing rejections fails
    client_for_unknown = MonitorClient(
        server.url,
        "no-such-model",
        spool_dir=tmp_path / "spool",
        flush_interval=0.05,
        register_atexit=False,
        api_key=ADMIN_TOKEN,
    )
    try:
        for row in rows(3):
            client_for_unknown.log_prediction(row)  # answered 404: set aside in rejected.ndjson
        assert not client_for_unknown.flush(timeout=1)
        (tmp_path / "spool" / "rejected.ndjson").rmdir()
        assert client_for_unknown.flush(timeout=30)
        rejected = (tmp_path / "spool" / "rejected.ndjson").read_text().splitlines()
        assert sorted(json.loads(line)["row"]["prediction_id"] for line in rejected) == ids(3)
    finally:
        client_for_unknown.close(timeout=1)


def test_a_spool_torn_by_a_killed_process_is_sent_and_the_torn_line_set_aside(
    server: LiveServer, make_client: Callable[..., MonitorClient], runtime: Runtime, tmp_path: Path
) -> None:
    (tmp_path / "spool").mkdir()
    orphan = tmp_path / "spool" / f"spool-{2**22 + 1}-deadbeef.ndjson"
    whole = "".join(json.dumps({"stream": "predictions", "row": r}) + "\n" for r in rows(4))
    orphan.write_text(whole + '{"stream": "predictions", "row": {"predic')  # killed mid-write
    server.start()
    client = make_client()
    assert client.flush(timeout=30)
    client.log_prediction(rows(1, start=4)[0])  # and the client keeps working
    assert client.flush(timeout=30)
    assert stored_ids(runtime)[0] == ids(5)
    (rejected,) = [
        json.loads(line) for line in (tmp_path / "spool" / "rejected.ndjson").read_text().splitlines()
    ]
    assert rejected["line"] == '{"stream": "predictions", "row": {"predic'
    assert rejected["reason"].startswith("unreadable spool line (")
    assert spool_files(tmp_path) == [] and client.stats.rejected == 1
