from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from tests.conftest import AUTH_HEADERS, DAY0


@pytest.fixture
def client(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30, headers=AUTH_HEADERS) as http:
        yield http


def test_health_and_metrics(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_monitors_and_runs_follow_the_contract(client: httpx.Client) -> None:
    monitors = client.get("/api/v1/monitors").json()
    page = client.get("/api/v1/monitors/m/runs", params={"limit": 3, "offset": 1}).json()
    everything = client.get("/api/v1/monitors/m/runs").json()
    (item,) = monitors["items"]
    assert item["name"] == "m" and item["active_alerts"] == 1 and item["drift_active"] is True
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (4, 3, 1, 3)
    starts = [r["window_start"] for r in everything["items"]]
    assert starts == sorted(starts) and starts[0].startswith(DAY0.date().isoformat())
    run = everything["items"][3]
    for key in ("id", "monitor", "window_start", "window_end", "status", "drift_share", "dataset_drifted"):
        assert key in run
    assert run["status"] == "succeeded" and run["error"] is None
    assert run["drifted_columns"] == ["x", "colour"] and run["dataset_drifted"] is True


def test_run_detail_lists_every_test(client: httpx.Client) -> None:
    run_id = client.get("/api/v1/monitors/m/runs").json()["items"][0]["id"]
    run = client.get(f"/api/v1/runs/{run_id}").json()
    missing = client.get("/api/v1/runs/999999")
    assert len(run["drift_results"]) == 6
    assert {(r["column"], r["test"]) for r in run["drift_results"] if r["drifted"]} == set()
    assert missing.status_code == 404


def test_trigger_a_run_recomputes_the_window(client: httpx.Client) -> None:
    end = (DAY0 + timedelta(days=2)).isoformat()
    response = client.post("/api/v1/monitors/m/runs", json={"window_end": end})
    unknown = client.post("/api/v1/monitors/nope/runs", json={})
    body = response.json()
    assert response.status_code == 200 and body["status"] == "succeeded" and body["reason"] == "recompute"
    assert body["run"]["window_end"].startswith((DAY0 + timedelta(days=2)).date().isoformat())
    assert unknown.status_code == 404


def test_pages_render(client: httpx.Client) -> None:
    assert "Monitors" in client.get("/").text
    assert client.get("/monitors/m").status_code == 200
    assert client.get("/monitors/nope").status_code == 404
    assert client.get("/alerts").status_code == 200
    assert client.get("/docs").status_code == 200


def test_triggering_an_open_window_is_refused(client: httpx.Client) -> None:
    response = client.post("/api/v1/monitors/m/runs", json={"window_end": "2199-01-01T00:00:00Z"})
    assert response.status_code == 422 and "has not closed yet" in response.json()["detail"]


def test_runs_filter_by_status(client: httpx.Client) -> None:
    succeeded = client.get("/api/v1/monitors/m/runs", params={"status": "succeeded"}).json()
    failed = client.get("/api/v1/monitors/m/runs", params={"status": "failed"}).json()
    assert succeeded["total"] == 4 and failed == {"items": [], "total": 0, "limit": 100, "offset": 0}
    assert client.get("/api/v1/monitors/m/runs", params={"status": "stuck"}).status_code == 422


@pytest.mark.parametrize(
    "end", ["1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", 0]
)
def test_a_window_end_out_of_any_plausible_range_is_refused_not_a_crash(
    client: httpx.Client, end: object
) -> None:
    response = client.post("/api/v1/monitors/m/runs", json={"window_end": end})
    assert response.status_code == 422
