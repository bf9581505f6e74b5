"""Webhook signatures in the manner of Stripe's: `Monitor-Signature: t=<unix seconds>,v1=<hex>` where
v1 = HMAC-SHA256(secret, f"{t}." + body). The timestamp is signed with the body, so a receiver that
checks it against its clock (tolerance, default 5 minutes) rejects replays of an old request, and
one that remembers the Idempotency-Key rejects a replay within the tolerance. See docs/alerting.md.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Monitor-Signature"
DEFAULT_TOLERANCE = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for a body sent now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, t, body)}"


def verify(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = DEFAULT_TOLERANCE
) -> bool:
    """What a receiver does: parse the header, recompute, compare in constant time, check the age.
    Several v1 values (during a key rotation) are accepted if any matches."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
