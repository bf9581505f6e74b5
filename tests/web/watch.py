"""What a page did in the browser: every request it made, console errors, uncaught exceptions, failed
requests and error responses; and where screenshots go. Browser tests of every page share it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
# Every wait of a browser test ends by then: a hung page fails the test, never stalls the suite.
ACTION_TIMEOUT_MS = 20_000


def screenshot_dir() -> Path:
    """test-artifacts/screenshots/ (gitignored), or under $MONITOR_TEST_ARTIFACTS (CI may set it)."""
    path = Path(os.environ.get("MONITOR_TEST_ARTIFACTS", REPO / "test-artifacts")) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class PageWatch:
    """Records what one tab does. Requests to another host than `origin` are aborted (a page must work
    with no network) and recorded, so a test sees them without waiting on the network."""

    origin: str  # http://127.0.0.1:PORT of the live server
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    error_responses: list[tuple[int, str]] = field(default_factory=list)

    def attach(self, context: Any, tab: Any) -> None:
        context.route("**/*", self._route)
        tab.on("request", lambda request: self.requests.append(request.url))
        tab.on("console", self._console)
        tab.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        tab.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        tab.on("response", self._response)

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.error_responses.append((response.status, response.url))

    def problems(self, *, expected_error: tuple[int, str] | None = None) -> list[str]:
        """Everything that went wrong, less the one error response a test asked for (and the console
        line Chromium writes about it)."""
        responses = [r for r in self.error_responses if r != expected_error]
        console = self.console_errors
        if expected_error is not None:
            status, url = expected_error
            console = [c for c in console if not (f"status of {status}" in c and c.endswith(f"({url})"))]
        found = [f"request to another host: {url}" for url in self.outside]
        found += [f"not to the live server: {url}" for url in self.requests if not self._ours(url)]
        found += [f"console error: {c}" for c in console]
        found += [f"uncaught exception: {e}" for e in self.page_errors]
        found += [f"request failed: {f}" for f in self.failed]
        found += [f"HTTP {status}: {url}" for status, url in responses]
        return sorted(set(found))

    def _ours(self, url: str) -> bool:
        return url.startswith(self.origin + "/")
