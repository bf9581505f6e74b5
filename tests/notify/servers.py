"""Real HTTP servers on 127.0.0.1 that answer as Slack and as a webhook receiver do.

`FakeSlack` speaks both of Slack's ways in: incoming webhooks (POST /services/T/B/X, plain-text
answers: `ok`, 403 `invalid_token`, 404 `channel_not_found`) and the Web API's chat.postMessage
(bearer token, JSON answers: `invalid_auth`, `channel_not_found`). `WebhookReceiver` checks the
signature the way a receiver would, with its own HMAC code (not ours). Both can be told to answer the
next requests with 429 (Retry-After) or 500, and to hold a request open until released.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int
    body: str | dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int | None = None  # the status sent back; None while held or when the client left
    received_at: float = field(default_factory=time.time)  # wall clock, when the request came in

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _Server:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: deque[Answer] = deque()
        self.hold_next = 0  # hold this many coming requests until `release()`
        self.delay = 0.0  # seconds to wait before answering, to make concurrent senders overlap
        self._released = threading.Event()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                record = Received(self.path, dict(self.headers.items()), self.rfile.read(length))
                with owner._lock:
                    owner.requests.append(record)
                    hold = owner.hold_next > 0
                    owner.hold_next -= 1 if hold else 0
                    scripted = owner.script.popleft() if owner.script else None
                if hold:
                    owner._released.wait(timeout=60)
                if owner.delay:
                    time.sleep(owner.delay)
                answer = scripted or owner.answer(record)
                payload = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
                data = payload.encode()
                # Set before answering: the client may act on the answer before this thread goes on.
                record.answered = answer.status
                try:
                    self.send_response(answer.status)
                    kind = "text/plain" if isinstance(answer.body, str) else "application/json"
                    self.send_header("Content-Type", f"{kind}; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    record.answered = None  # the client is gone (killed mid-request)

            do_GET = do_POST  # a registry's reads (the MLflow stand-in of tests/alerting/test_actions.py)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, request: Received) -> Answer:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def release(self) -> None:
        self._released.set()

    def fail_next(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.requests)} request(s) arrived, expected {count}")
            time.sleep(0.02)


def rate_limited(seconds: int, *, api: bool = False) -> Answer:
    body: str | dict[str, Any] = {"ok": False, "error": "ratelimited"} if api else "rate_limited"
    return Answer(429, body, {"Retry-After": str(seconds)})


def server_error(*, api: bool = False) -> Answer:
    return Answer(500, {"ok": False, "error": "internal_error"} if api else "Internal Server Error")


class FakeSlack(_Server):
    HOOK_PATH = "/services/T0001/B0001/"

    def __init__(self) -> None:
        super().__init__()
        self.hooks: dict[str, str] = {}  # path -> "ok" or an error such as channel_not_found
        self.tokens: set[str] = set()
        self.channels: set[str] = set()

    def add_hook(self, secret: str, outcome: str = "ok") -> str:
        path = self.HOOK_PATH + secret
        self.hooks[path] = outcome
        return self.url + path

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def answer(self, request: Received) -> Answer:
        if request.path.startswith("/services/"):
            outcome = self.hooks.get(request.path)
            if outcome is None:
                return Answer(403, "invalid_token")
            if outcome == "channel_not_found":
                return Answer(404, "channel_not_found")
            return Answer(200, "ok")
        if request.path == "/api/chat.postMessage":
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.tokens:
                return Answer(200, {"ok": False, "error": "invalid_auth"})
            channel = request.json.get("channel")
            if channel not in self.channels:
                return Answer(200, {"ok": False, "error": "channel_not_found"})
            return Answer(200, {"ok": True, "channel": channel, "ts": f"{time.time():.6f}"})
        return Answer(404, "not found")

    def delivered(self) -> list[Received]:
        """Messages Slack accepted (answered 200 and, for the Web API, ok)."""
        return [r for r in self.requests if r.answered == 200 and self._accepted(r)]

    def _accepted(self, request: Received) -> bool:
        if request.path.startswith("/services/"):
            return self.hooks.get(request.path) == "ok"
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return token in self.tokens and request.json.get("channel") in self.channels


def verify_signature(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """A receiver's check, written from the documented format: t=<unix>,v1=<hex HMAC-SHA256>."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected, parts.get("v1", ""))


class WebhookReceiver(_Server):
    """Answers 200 to a request whose signature verifies (401 otherwise), and processes each
    Idempotency-Key once, as a receiver that starts expensive jobs must."""

    def __init__(self, secret: str | None = None) -> None:
        super().__init__()
        self.secret = secret
        self.processed: list[str] = []

    def answer(self, request: Received) -> Answer:
        if self.secret is not None:
            header = request.headers.get("Monitor-Signature", "")
            if not verify_signature(self.secret, header, request.body):
                return Answer(401, "bad signature")
        key = request.headers.get("Idempotency-Key", "")
        if key not in self.processed:
            self.processed.append(key)
        return Answer(200, {"received": True})
