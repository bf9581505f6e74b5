"""Keeping secrets out of what we show: tokens, webhook URLs and signing keys never reach a log line,
a stored error, an API response or a page. Error texts of libraries (slack-sdk's included) may
carry the URL they called; the URL of a webhook is itself the secret, so every URL loses its path."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from monitor.errors import mask_url_secrets

MASK = "***"
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s'\"<>?#]+)[^\s'\"<>]*")
# Slack tokens and hook paths, in case one arrives inside some other text.
_SLACK_TOKEN = re.compile(r"\bxox[a-zA-Z]-[A-Za-z0-9-]+")


def url_secrets(url: str | None) -> list[str]:
    """What of a channel's URL is secret wherever it shows up: the URL, its path and query, and every
    path segment long enough to be a token (a receiver may echo just `/hooks/<token>` in its error)."""
    if not url:
        return []
    parts = urlsplit(url)
    segments = [seg for seg in parts.path.split("/") if len(seg) >= 12]
    return [url, parts.path, parts.query, *segments]


class Redactor:
    """Replaces the given secret values, any URL's path and query, and anything shaped like a token."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = mask_url_secrets(text)  # a password in a URL's userinfo: the host part below keeps it
        text = _URL.sub(
            lambda m: m.group(1) + ("/" + MASK if len(m.group(0)) > len(m.group(1)) else ""), text
        )
        return _SLACK_TOKEN.sub(MASK, text)

    def merged(self, other: Redactor) -> Redactor:
        return Redactor([*self.secrets, *other.secrets])


class RedactingFilter(logging.Filter):
    """Rewrites a record's message through a Redactor; put it on loggers of libraries we call."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor(record.getMessage())
        record.args = None
        if record.exc_info:  # a traceback's messages name URLs too: format it once, redacted
            record.exc_text = self.redactor(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def quiet_logger(name: str, redactor: Redactor) -> logging.Logger:
    """A logger for a library client: warnings and up only (slack-sdk logs URLs and headers at debug,
    and decides by the logger's own level), with secrets redacted from what it does log."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.WARNING)
    for existing in [f for f in logger.filters if isinstance(f, RedactingFilter)]:
        logger.removeFilter(existing)
    logger.addFilter(RedactingFilter(redactor))
    return logger
