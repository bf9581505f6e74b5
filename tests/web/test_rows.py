"""An admin looks at pushed rows by id and deletes them; nobody else may."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from monitor.services import access
from monitor.web.app import create_app
from tests.conftest import RuntimeFactory, monitor_config
from tests.servers import serving

ROWS = [
    {"prediction_id": f"p{i}", "timestamp": "2026-06-01T00:00:00Z", "x": i, "y": 1.0, "colour": "red"}
    for i in range(3)
]


@pytest.fixture
def client(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> Iterator[tuple[httpx.Client, str]]:
    config = monitor_config(db_url)
    config["monitors"]["pushed"] = {
        "model": "pushed",
        "source": {"type": "ingest"},
        "reference": {"type": "files", "path": "reference.parquet"},
        "schema": {"features": ["x", "y", "colour"]},
    }
    config["ingest"] = {"max_row_age": "3650d"}
    runtime = make_runtime(config)
    reader, _ = access.create_key(runtime, name="reader", scope="read", models=[], expires_in=None, actor="t")
    with serving(create_app(runtime)) as server, server.client() as http:
        assert http.post("/api/v1/models/pushed/predictions", json=ROWS).status_code == 200
        yield http, reader


def test_an_admin_finds_and_deletes_pushed_rows(client: tuple[httpx.Client, str]) -> None:
    http, reader = client
    found = http.get("/api/v1/models/pushed/predictions/rows", params={"id": ["p1", "nope"]}).json()
    assert [(r["id"], r["values"]["x"]) for r in found] == [("p1", 1)]
    refused = http.delete(
        "/api/v1/models/pushed/predictions/rows",
        params={"id": ["p1"]},
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert refused.status_code == 403
    deleted = http.delete("/api/v1/models/pushed/predictions/rows", params={"id": ["p1", "p2"]})
    assert deleted.json() == {"deleted": 2}
    left = http.get("/api/v1/models/pushed/predictions/rows", params={"id": ["p0", "p1", "p2"]}).json()
    assert [r["id"] for r in left] == ["p0"]
    audit = [e["action"] for e in http.get("/api/v1/audit").json()["items"]]
    assert "DELETE /api/v1/models/pushed/predictions/rows" in audit
