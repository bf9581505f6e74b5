"""Values past any table's range are refused with a 4xx, never a server error."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import AUTH_HEADERS

HUGE = str(2**63)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/runs/{HUGE}",
        f"/api/v1/alerts/{HUGE}",
        f"/runs/{HUGE}",
        f"/alerts/{HUGE}",
        "/api/v1/monitors/m/runs?offset=99999999999999999999",
        f"/alerts?before={HUGE}",
        "/monitors/m?before=0001-01-01T00:00:00%2B14:00",
        "/monitors/m?from=0001-01-01T00:00:00%2B14:00",
        "/monitors/m?range=forever",
    ],
)
def test_out_of_range_reads_are_client_errors(live_server: str, path: str) -> None:
    with httpx.Client(base_url=live_server, headers=AUTH_HEADERS, timeout=30) as http:
        assert http.get(path).status_code in (404, 422), path


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/silences/{HUGE}/expire",
        f"/api/v1/dead-letters/{HUGE}/resend",
        f"/alerts/notifications/{HUGE}/resend",
    ],
)
def test_out_of_range_changes_are_client_errors(live_server: str, path: str) -> None:
    with httpx.Client(base_url=live_server, headers=AUTH_HEADERS, timeout=30) as http:
        assert http.post(path).status_code == 422, path


@pytest.mark.parametrize(
    "body",
    [
        {"matchers": ["rule=drift"], "author": "a", "comment": "c", "duration": "999999w"},
        {"matchers": ["rule=drift\x00"], "author": "a", "comment": "c"},
        {"matchers": ["rule=drift"], "author": "a\ud800", "comment": "c"},
        {"matchers": ["rule=drift"], "author": "a", "comment": "c" * 3000},
        {"matchers": ["rule=drift"], "author": "a", "comment": "c", "ends_at": "0001-01-01T00:00:00+14:00"},
    ],
)
def test_unstorable_or_overflowing_silences_are_refused(live_server: str, body: dict[str, str]) -> None:
    with httpx.Client(base_url=live_server, headers=AUTH_HEADERS, timeout=30) as http:
        # json.dumps escapes a lone surrogate as \ud800, as a client in another language would send it
        sent = json.dumps(body).encode()
        response = http.post("/api/v1/silences", content=sent, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
