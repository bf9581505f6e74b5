"""One JSON POST and what its outcome means for delivery: retry later (429 with Retry-After, 408,
5xx, a network error) or give up (any other 4xx). urllib, as slack-sdk uses: it logs nothing, so
no URL can slip into a log line."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from monitor import __version__
from monitor.clock import system_clock
from monitor.notify.base import Delivery
from monitor.notify.redact import Redactor

USER_AGENT = f"model-monitor/{__version__}"
_BODY_EXCERPT = 300
MAX_RETRY_AFTER = 86_400.0  # a day: a longer wait is the receiver's bug, not a schedule to keep


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a 301/302/303 as a body-less GET: the payload never arrives, yet the
    GET's 200 would count as delivered. A redirect is answered as it came (an HTTPError)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def _where(location: str | None) -> str:
    """Scheme and host of a redirect target: its path and query may hold a secret."""
    if not location:
        return "an unnamed location"
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "another path on the same host"


def encode(payload: Mapping[str, Any]) -> bytes:
    """Compact, key-sorted JSON: the exact bytes that are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, allow_nan=False).encode()


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds, at most MAX_RETRY_AFTER: delay-seconds (digits only) or an HTTP date
    (RFC 9110). Anything else ("inf", "1e20", "-5") is ignored rather than trusted."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return MAX_RETRY_AFTER if len(value) > 9 else min(float(value), MAX_RETRY_AFTER)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max(0.0, (moment - (now or system_clock())).total_seconds()), MAX_RETRY_AFTER)


def classify(status: int, headers: Mapping[str, str], body: str, *, what: str) -> Delivery:
    """The delivery outcome of an HTTP answer."""
    if 200 <= status < 300:
        return Delivery(ok=True, status_code=status)
    excerpt = " ".join(body.split())[:_BODY_EXCERPT]
    lower = {k.lower(): v for k, v in headers.items()}
    if status == 429:
        wait = retry_after_seconds(lower.get("retry-after"))
        return Delivery(
            ok=False,
            retryable=True,
            status_code=status,
            retry_after=wait,
            error=f"{what} is rate limiting (HTTP 429, Retry-After {lower.get('retry-after', 'not given')})",
        )
    if 300 <= status < 400:
        return Delivery(
            ok=False,
            retryable=False,
            status_code=status,
            error=f"{what} endpoint redirects to {_where(lower.get('location'))} (HTTP {status}); "
            "redirects are not followed: configure the final URL",
        )
    if status == 408 or status >= 500:
        return Delivery(
            ok=False, retryable=True, status_code=status, error=f"{what} answered HTTP {status}: {excerpt}"
        )
    return Delivery(
        ok=False,
        retryable=False,
        status_code=status,
        error=f"{what} refused the request with HTTP {status}: {excerpt}",
    )


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    what: str,
    redact: Redactor,
) -> Delivery:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            text = response.read().decode("utf-8", "replace")
            return classify(response.status, dict(response.headers.items()), text, what=what)
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace") if exc.fp is not None else ""
        outcome = classify(exc.code, dict(exc.headers.items()), text, what=what)
        return outcome if outcome.error is None else _redacted(outcome, redact)
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return Delivery(ok=False, retryable=True, error=redact(f"{what} unreachable: {reason}"))
    except ValueError as exc:  # a malformed URL: configuration, not a passing fault
        return Delivery(ok=False, retryable=False, error=redact(f"{what} URL is not usable: {exc}"))


def _redacted(outcome: Delivery, redact: Redactor) -> Delivery:
    return Delivery(
        ok=outcome.ok,
        retryable=outcome.retryable,
        error=redact(outcome.error or ""),
        status_code=outcome.status_code,
        retry_after=outcome.retry_after,
    )
