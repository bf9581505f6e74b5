"""`slack`, with slack-sdk: an incoming webhook (WebhookClient) or a bot token and channel
(WebClient.chat_postMessage). slack-sdk's own retry handlers are off: the outbox retries, so a 429's
Retry-After becomes the next attempt's time instead of a sleep inside the dispatcher, and every
attempt is recorded. Configuration errors (a revoked token, an unknown channel) are not retried."""

from __future__ import annotations

import math
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from monitor.notify.base import Delivery, register
from monitor.notify.http import classify, retry_after_seconds
from monitor.notify.messages import Message, headline
from monitor.notify.redact import Redactor, quiet_logger, url_secrets
from monitor.notify.slack_blocks import blocks

# Web API error codes worth another try; any other `ok: false` is a configuration or payload error.
RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
_HINTS = {
    "invalid_auth": "the bot token is not valid",
    "invalid_token": "the token or webhook is not valid (revoked?)",
    "not_authed": "no token was accepted",
    "token_revoked": "the bot token was revoked",
    "token_expired": "the bot token expired",
    "account_inactive": "the bot's account is deactivated",
    "channel_not_found": "the channel does not exist or the bot cannot see it",
    "not_in_channel": "the bot is not a member of the channel (invite it)",
    "is_archived": "the channel is archived",
    "channel_is_archived": "the channel is archived",
    "no_service": "the webhook was removed or disabled",
    "no_active_hooks": "the webhook is disabled",
    "invalid_payload": "Slack could not read the message (a bug: please report it)",
    "action_prohibited": "a workspace admin restricted posting",
}


def _explain(code: str) -> str:
    hint = _HINTS.get(code)
    return f"{code} ({hint})" if hint else code


class SlackNotifier:
    def __init__(
        self,
        name: str,
        *,
        webhook_url: str | None = None,
        token: str | None = None,
        channel: str | None = None,
        base_url: str = "https://slack.com/api/",
        timeout: float = 10,
        max_features: int = 10,
    ) -> None:
        if (webhook_url is None) == (token is None):
            raise ValueError("give either a webhook URL or a bot token")
        self.name = name
        self._redact = Redactor([*url_secrets(webhook_url), token])
        logger = quiet_logger(f"monitor.notify.slack.{name}", self._redact)
        seconds = max(1, math.ceil(timeout))
        self._webhook = (
            WebhookClient(webhook_url, timeout=seconds, logger=logger, retry_handlers=[])
            if webhook_url
            else None
        )
        self._client = (
            WebClient(token=token, base_url=base_url, timeout=seconds, logger=logger, retry_handlers=[])
            if token
            else None
        )
        self._channel = channel
        self._max_features = max_features

    def redact(self, text: str) -> str:
        return self._redact(text)

    def send(self, message: Message, *, idempotency_key: str) -> Delivery:
        text = headline(message)
        content = blocks(message, max_features=self._max_features)
        try:
            if self._webhook is not None:
                return self._via_webhook(text, content, idempotency_key)
            return self._via_api(text, content)
        except SlackRequestError as exc:  # a malformed URL or proxy: configuration
            return Delivery(ok=False, retryable=False, error=self._redact(f"Slack {self.name!r}: {exc}"))
        except (OSError, TimeoutError) as exc:  # network: unreachable, reset, timed out
            return Delivery(
                ok=False, retryable=True, error=self._redact(f"Slack {self.name!r} unreachable: {exc}")
            )

    def _via_webhook(self, text: str, content: list[dict[str, Any]], key: str) -> Delivery:
        assert self._webhook is not None
        response = self._webhook.send(text=text, blocks=content, headers={"Idempotency-Key": key})
        body = response.body or ""
        if response.status_code == 200:
            return Delivery(ok=True, status_code=200)
        outcome = classify(
            response.status_code, dict(response.headers or {}), body, what=f"Slack {self.name!r}"
        )
        if outcome.retryable:
            return _with_error(outcome, self._redact(outcome.error or ""))
        code = body.strip().split()[0] if body.strip() else f"HTTP {response.status_code}"
        error = (
            f"Slack {self.name!r} rejected the message: {_explain(code)} "
            f"(HTTP {response.status_code}); not retried"
        )
        return _with_error(outcome, self._redact(error))

    def _via_api(self, text: str, content: list[dict[str, Any]]) -> Delivery:
        assert self._client is not None
        try:
            self._client.chat_postMessage(
                channel=self._channel or "", text=text, blocks=content, unfurl_links=False
            )
            return Delivery(ok=True, status_code=200)
        except SlackApiError as exc:
            response = exc.response
            status = int(response.status_code)
            data = response.data if isinstance(response.data, dict) else {}
            code = str(data.get("error") or f"HTTP {status}")
            headers = {k.lower(): v for k, v in (response.headers or {}).items()}
            if status == 429 or code == "ratelimited":
                value = headers.get("retry-after")
                wait = retry_after_seconds(value[0] if isinstance(value, list) else value)
                after = "not given" if wait is None else f"{wait:g} s"
                error = f"Slack {self.name!r} is rate limiting (Retry-After {after})"
                return Delivery(ok=False, retryable=True, status_code=status, retry_after=wait, error=error)
            if status >= 500 or code in RETRYABLE_ERRORS:
                return Delivery(
                    ok=False,
                    retryable=True,
                    status_code=status,
                    error=f"Slack {self.name!r} failed: {code} (HTTP {status})",
                )
            where = (
                f" (channel {self._channel})"
                if code in ("channel_not_found", "not_in_channel", "is_archived")
                else ""
            )
            error = f"Slack {self.name!r} rejected the message: {_explain(code)}{where}; not retried"
            return Delivery(ok=False, retryable=False, status_code=status, error=self._redact(error))


def _with_error(outcome: Delivery, error: str) -> Delivery:
    return Delivery(
        ok=outcome.ok,
        retryable=outcome.retryable,
        error=error,
        status_code=outcome.status_code,
        retry_after=outcome.retry_after,
    )


def _build(name: str, config: Any) -> SlackNotifier:
    return SlackNotifier(
        name,
        webhook_url=config.webhook_url.get_secret_value() if config.webhook_url is not None else None,
        token=config.token.get_secret_value() if config.token is not None else None,
        channel=config.channel,
        base_url=config.base_url,
        timeout=config.timeout,
        max_features=config.max_features,
    )


register("slack", _build)
