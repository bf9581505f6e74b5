"""`webhook`: the message as JSON, POSTed to any URL, with an Idempotency-Key (the same on every
retry) and, when a secret is configured, a signature (monitor.notify.signing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.notify.base import Delivery, register
from monitor.notify.http import encode, post_json
from monitor.notify.messages import Message, to_payload
from monitor.notify.redact import Redactor, url_secrets
from monitor.notify.signing import SIGNATURE_HEADER, sign

IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "Monitor-Event"


class WebhookNotifier:
    kinds: frozenset[str] | None = None  # message kinds accepted; None: all

    def __init__(self, name: str, url: str, *, secret: str | None = None, timeout: float = 10) -> None:
        self.name = name
        self._url = url
        self._secret = secret
        self._timeout = timeout
        self._redact = Redactor([*url_secrets(url), secret])

    def send(self, message: Message, *, idempotency_key: str) -> Delivery:
        refused = self.refusal(message)
        if refused is not None:
            return refused
        return self.post(to_payload(message), event=message.kind, idempotency_key=idempotency_key)

    def refusal(self, message: Message) -> Delivery | None:
        """A permanent failure when this channel does not take the message's kind."""
        if self.kinds is None or message.kind in self.kinds:
            return None
        return Delivery(
            ok=False,
            retryable=False,
            error=f"{self.name!r} takes {', '.join(sorted(self.kinds))} messages, not {message.kind}",
        )

    def post(self, payload: Mapping[str, Any], *, event: str, idempotency_key: str) -> Delivery:
        """The payload as JSON with its Idempotency-Key (also in the body), signed when a secret is set."""
        body = encode({**payload, "idempotency_key": idempotency_key})
        headers = {IDEMPOTENCY_HEADER: idempotency_key, EVENT_HEADER: event}
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)
        return post_json(
            self._url,
            body,
            headers,
            timeout=self._timeout,
            what=f"webhook {self.name!r}",
            redact=self._redact,
        )

    def redact(self, text: str) -> str:
        return self._redact(text)


def _build(name: str, config: Any) -> WebhookNotifier:
    secret = config.secret.get_secret_value() if config.secret is not None else None
    return WebhookNotifier(name, config.url.get_secret_value(), secret=secret, timeout=config.timeout)


register("webhook", _build)
