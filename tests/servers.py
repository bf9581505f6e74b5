"""The one way tests serve the app over real HTTP: uvicorn in a thread on 127.0.0.1, which can be stopped
and started again on its port. (tests/notify/servers.py holds servers that stand in for Slack and
webhook receivers: stdlib HTTP servers, not the app.)"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    """A port nothing listens on (as a channel that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bind(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart binds the port again
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


class LiveServer:
    """`app` on a fixed port; `stop()` and `start()` model the service going down and back.

    The port is bound when the server is made, so `url` is known before the first start and no other
    test can take the port meanwhile; until then connections to it are refused, as to a service that
    is down."""

    def __init__(self, app: FastAPI, port: int = 0) -> None:
        self.app = app
        self._reserved: socket.socket | None = _bind(port)
        self.port: int = self._reserved.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._listening: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"the server on port {self.port} is already running")
        sock, self._reserved = self._reserved or _bind(self.port), None
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on")
        self._server, self._listening = uvicorn.Server(config), sock
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        for sock in (self._reserved, self._listening):
            if sock is not None:
                sock.close()
        self._server = self._thread = self._reserved = self._listening = None

    def client(self, timeout: float = 30, *, authorized: bool = True) -> httpx.Client:
        """A client of the app; `authorized` sends the tests' admin key (tests/conftest.py)."""
        from tests.conftest import AUTH_HEADERS

        return httpx.Client(base_url=self.url, timeout=timeout, headers=AUTH_HEADERS if authorized else {})


@contextmanager
def serving(app: FastAPI) -> Iterator[LiveServer]:
    """`app` served until the block ends: `with serving(app) as server, server.client() as http:`."""
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()
