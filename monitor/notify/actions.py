"""`rollback` and `promote`: the channels of rules' `action: rollback | promote`. A delivery first moves the
MLflow alias, if the channel has a registry (monitor.notify.registry: idempotent across retries), then
POSTs the signed request to the channel's webhook, if it has one, with the registry's outcome in it
(`registry`). With `dry_run` nothing is called: the attempt records what would have been done.

The cooldown is kept with the alert state (monitor.alerting.actions), where the request is decided."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from monitor.notify.base import Delivery, register
from monitor.notify.messages import ActionRequest, Message, TestMessage, to_payload
from monitor.notify.redact import Redactor, url_secrets
from monitor.notify.registry import MlflowRegistry, MoveResult, RegistryError
from monitor.notify.webhook import WebhookNotifier


class ActionNotifier:
    def __init__(
        self,
        name: str,
        action: str,
        *,
        webhook: WebhookNotifier | None = None,
        registry: MlflowRegistry | None = None,
        versions: dict[str, str] | None = None,
        dry_run: bool = False,
        where: str = "",
        redact: Redactor | None = None,
    ) -> None:
        self.name = name
        self.action = action
        self._webhook = webhook
        self._registry = registry
        self._versions = versions or {}
        self._dry_run = dry_run
        self._where = where  # the webhook's scheme and host, for a dry run's account
        self._redact = redact or Redactor()

    def send(self, message: Message, *, idempotency_key: str) -> Delivery:
        if isinstance(message, TestMessage):
            return self._test(message, idempotency_key)
        if not isinstance(message, ActionRequest) or message.action != self.action:
            return Delivery(
                ok=False,
                retryable=False,
                error=f"{self.name!r} takes {self.action} requests and test messages, not {message.kind}",
            )
        if self._dry_run:
            return Delivery(ok=True, detail=self._redact(self._would(message)))
        moved: MoveResult | None = None
        if self._registry is not None:
            try:
                moved = self._move(self._registry, message, idempotency_key)
            except RegistryError as exc:
                return self._failed(exc)
        detail = None if moved is None else moved.describe()
        if self._webhook is None:
            return Delivery(ok=True, detail=detail)
        payload = {**to_payload(message), "registry": None if moved is None else moved.payload()}
        sent = self._webhook.post(payload, event=message.kind, idempotency_key=idempotency_key)
        said = f"webhook answered HTTP {sent.status_code}" if sent.status_code else None
        return replace(sent, detail="; ".join(p for p in (detail, said) if p) or None)

    def redact(self, text: str) -> str:
        return self._redact(text)

    def _failed(self, exc: RegistryError) -> Delivery:
        return Delivery(
            ok=False,
            retryable=exc.retryable,
            status_code=exc.status_code,
            retry_after=exc.retry_after,
            error=self._redact(str(exc)),
        )

    def registry_version(self, version: str) -> str:
        return self._versions.get(version, version)

    def _move(self, registry: MlflowRegistry, message: ActionRequest, key: str) -> MoveResult:
        if message.action == "rollback":
            return registry.rollback(key)
        if not message.model_version:
            raise RegistryError(
                "a promotion needs the version to promote; the request names none", retryable=False
            )
        return registry.promote(key, self.registry_version(message.model_version))

    def _would(self, message: ActionRequest) -> str:
        parts = []
        if self._registry is not None:
            registry = self._registry
            head = f"move MLflow {registry.model} alias {registry.alias}"
            if message.action == "rollback":
                parts.append(f"{head} back to {registry.previous_alias}'s version, or the highest below it")
            else:
                version = self.registry_version(message.model_version or "?")
                parts.append(f"{head} to version {version}, keeping the old one as {registry.previous_alias}")
        if self._webhook is not None:
            parts.append(f"POST the signed {message.action} request to {self._where}")
        return "dry run: " + ("would " + "; would ".join(parts) if parts else "recorded, nothing to call")

    def _test(self, message: TestMessage, key: str) -> Delivery:
        """A channel test moves nothing: it reads where the aliases are and posts the test message."""
        if self._dry_run:
            return Delivery(ok=True, detail="dry run: nothing called")
        detail = None
        if self._registry is not None:
            try:
                detail = self._registry.describe()
            except RegistryError as exc:
                return self._failed(exc)
        if self._webhook is None:
            return Delivery(ok=True, detail=detail)
        return replace(self._webhook.send(message, idempotency_key=key), detail=detail)


def _build(name: str, config: Any) -> ActionNotifier:
    url = config.url.get_secret_value() if config.url is not None else None
    secret = config.secret.get_secret_value() if config.secret is not None else None
    settings = config.mlflow
    # `${MLFLOW_TOKEN:-}` unset reads as no token, not as an empty one.
    token = (settings.token.get_secret_value() or None) if settings and settings.token is not None else None
    tracking_uri = settings.tracking_uri.get_secret_value() if settings is not None else None
    redact = Redactor([*url_secrets(url), *url_secrets(tracking_uri), secret, token])
    registry = None
    if settings is not None and tracking_uri is not None:
        registry = MlflowRegistry(
            tracking_uri,
            settings.model_name,
            alias=settings.alias,
            previous_alias=settings.previous,
            token=token,
            timeout=settings.timeout,
            redact=redact,
        )
    webhook = None
    if url is not None:
        webhook = WebhookNotifier(name, url, secret=secret, timeout=config.timeout)
    parts = urlsplit(url or "")
    return ActionNotifier(
        name,
        config.type,
        webhook=webhook,
        registry=registry,
        versions={k: str(v) for k, v in settings.versions.items()} if settings is not None else {},
        dry_run=config.dry_run,
        where=f"{parts.scheme}://{parts.netloc}" if url else "",
        redact=redact,
    )


register("rollback", _build)
register("promote", _build)
