"""Errors on HTML routes are pages (status, escaped message, a way back); the API keeps JSON errors;
a server error shows no traceback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from monitor.pipeline.runtime import Runtime
from tests.servers import LiveServer

NOT_AN_INTEGER = "Input should be a valid integer, unable to parse string as an integer"


@pytest.fixture
def client(bare_server: LiveServer) -> Iterator[httpx.Client]:
    with bare_server.client() as http:
        yield http


def assert_error_page(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f'<section id="error" data-status="{status}">' in response.text
    assert f'<p class="error-message">{message}</p>' in response.text
    assert '<a id="back" href="/">Back to the dashboard</a>' in response.text
    assert '<header class="top">' in response.text


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/monitors/nope", 404, "no monitor named &#39;nope&#39;"),
        ("/runs/99999999", 404, "no run 99999999"),
        ("/alerts/99999999", 404, "no alert 99999999"),
        ("/runs/abc", 422, f"run_id: {NOT_AN_INTEGER}"),
        ("/alerts/abc", 422, f"alert_id: {NOT_AN_INTEGER}"),
        ("/no/such/page", 404, "Not Found"),
        ("/monitors/m?limit=0", 422, "limit: Input should be greater than or equal to 1"),
        ("/monitors/m?before=2026-06-02&after=2026-06-01", 422, "give before or after, not both"),
        (
            "/monitors/m?before=someday",
            422,
            "before: Input should be a valid datetime or date, input is too short",
        ),
    ],
)
def test_html_routes_answer_errors_as_pages(
    client: httpx.Client, path: str, status: int, message: str
) -> None:
    assert_error_page(client.get(path), status, message)


def test_a_hostile_name_in_the_message_is_escaped(client: httpx.Client) -> None:
    response = client.get('/monitors/<script>alert("x")\u202e')
    # repr() writes U+202E as the text \u202e, and the page escapes the rest.
    assert_error_page(response, 404, "no monitor named &#39;&lt;script&gt;alert(&#34;x&#34;)\\u202e&#39;")
    assert "<script>" not in response.text and "\u202e" not in response.text


def test_a_wrong_method_on_a_page_is_a_page_with_its_allow_header(client: httpx.Client) -> None:
    response = client.post("/alerts")
    assert_error_page(response, 405, "Method Not Allowed")
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/api/v1/runs/99999999", 404, "no run 99999999"),
        ("/api/v1/monitors/nope/runs", 404, "no monitor named 'nope'"),
        ("/api/v1/no/such/route", 404, "Not Found"),
        ("/api", 404, "Not Found"),
    ],
)
def test_api_routes_keep_json_errors(client: httpx.Client, path: str, status: int, detail: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": detail}


def test_api_validation_errors_stay_fastapis_json(client: httpx.Client) -> None:
    response = client.get("/api/v1/runs/abc")
    assert response.status_code == 422 and response.headers["content-type"] == "application/json"
    (error,) = response.json()["detail"]
    assert error["loc"] == ["path", "run_id"] and error["type"] == "int_parsing"


def test_a_server_error_is_a_page_without_traceback(bare_runtime: Runtime, bare_server: LiveServer) -> None:
    """The runs table gone: the monitor page fails inside the store, as with a broken database."""
    with bare_runtime.sessions() as session, session.begin():
        session.execute(sa.text("DROP TABLE runs"))
    # One connection each: uvicorn closes a connection once its request raised.
    with bare_server.client() as http:
        page = http.get("/monitors/m")
    with bare_server.client() as http:
        api = http.get("/api/v1/monitors/m/runs")
    assert_error_page(page, 500, "Something went wrong on the server; the error is in its log.")
    for leak in ("Traceback", "OperationalError", "no such table", "sqlalchemy", 'File "'):
        assert leak not in page.text and leak not in api.text
    assert api.status_code == 500 and api.json() == {"detail": "Internal Server Error"}


def test_health_routes_keep_json(client: httpx.Client) -> None:
    response = client.get("/healthz/nothing")
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}
