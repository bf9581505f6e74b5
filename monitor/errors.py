"""The base of errors that carry a message for the user rather than a bug to report, and the masking
of secrets in any error text."""

from __future__ import annotations

import re


class UserError(Exception):
    """Bad input or an unreachable resource: the message says which and why; no traceback is due."""


# A URL in any text: scheme, then everything up to whitespace, a quote or an angle bracket.
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
# Query parameters whose values are secrets, as libraries and services name them.
_SECRET_PARAMS = re.compile(
    r"(?i)([?&;](?:password|passwd|pwd|pass|secret|token|access_token|refresh_token|api[_-]?key|apikey|key|"
    r"sig|signature|auth|authorization|credential|credentials|client_secret|sslpassword)=)[^&;#\s'\"<>]*"
)
MASK = "***"


def mask_url_secrets(text: str) -> str:
    """Every URL in `text` with its password (`user:***@host`) and secret query values masked, so an
    error naming a database or webhook URL can be stored, shown and logged."""

    def masked(match: re.Match[str]) -> str:
        url = match.group(0)
        scheme, _, rest = url.partition("://")
        authority, slash, tail = rest.partition("/")
        if "@" in authority:
            userinfo, _, host = authority.rpartition("@")
            user = userinfo.split(":", 1)[0]
            authority = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
        return _SECRET_PARAMS.sub(lambda m: m.group(1) + MASK, f"{scheme}://{authority}{slash}{tail}")

    return _URL.sub(masked, text)
