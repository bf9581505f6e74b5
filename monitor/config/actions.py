"""Action channels: what an alert rule's `action:` calls when its alert fires. `retrain` asks for a
retraining; `rollback` and `promote` call a deployment webhook and/or move an MLflow Model Registry
alias. All are signed, idempotent and sent at most once per `cooldown` per model (docs/alerting.md,
docs/deployments.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, PositiveInt, SecretStr, field_validator, model_validator

from monitor.config._base import Duration, _Strict

ACTIONS = ("retrain", "rollback", "promote")
Action = Literal["retrain", "rollback", "promote"]
# A delivery of a rollback or promote calls MLflow at most this many times (read the model, its versions
# or the candidate, write the tag, the previous alias, the alias): the lease must outlast them all.
MLFLOW_CALLS_PER_SEND = 6
# MLflow reserves these alias names (`latest` and version references such as v3).
_RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)
_ALIAS = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def _alias_name(value: str) -> str:
    if not _ALIAS.match(value):
        raise ValueError(f"{value!r} is not an MLflow alias (letters, digits, `_` and `-`)")
    if _RESERVED_ALIAS.match(value):
        raise ValueError(f"MLflow reserves the alias {value!r}")
    return value


class MlflowRegistryConfig(_Strict):
    """Where a rollback or promotion moves an alias: an MLflow Model Registry, over its REST API."""

    # A SecretStr, as every URL of a channel: its path or user part may hold a credential.
    tracking_uri: SecretStr
    model_name: str = Field(min_length=1, max_length=256)
    alias: str = "champion"
    # Where the alias pointed before the last promotion; default `<alias>_previous`.
    previous_alias: str | None = None
    token: SecretStr | None = None  # sent as `Authorization: Bearer ...`
    timeout: float = Field(10, gt=0)
    # The serving version an alert names (its `version` label, or the value of its `segment` label)
    # -> the registry's version number, when the two differ (v4 -> 12).
    versions: dict[str, PositiveInt] = Field(default_factory=dict)

    @field_validator("tracking_uri")
    @classmethod
    def _http(cls, value: SecretStr) -> SecretStr:
        if not re.match(r"^https?://[^/\s]+", value.get_secret_value()):
            raise ValueError("the tracking server's URL, http:// or https://")
        return SecretStr(value.get_secret_value().rstrip("/"))

    @field_validator("alias", "previous_alias")
    @classmethod
    def _alias(cls, value: str | None) -> str | None:
        return None if value is None else _alias_name(value)

    @model_validator(mode="after")
    def _two_aliases(self) -> MlflowRegistryConfig:
        if self.previous == self.alias:
            raise ValueError("`previous_alias` must differ from `alias`")
        return self

    @property
    def previous(self) -> str:
        return self.previous_alias or f"{self.alias}_previous"

    def registry_version(self, version: str) -> str:
        """The registry's version number for a serving version an alert names."""
        mapped = self.versions.get(version)
        return str(mapped) if mapped is not None else version


class _ActionChannelConfig(_Strict):
    cooldown: Duration = timedelta(hours=24)
    timeout: float = Field(10, gt=0)

    @property
    def longest_send(self) -> float:
        """Seconds a delivery may take at most: what the dispatch lease must exceed."""
        return self.timeout


class RetrainNotifierConfig(_ActionChannelConfig):
    """The webhook that starts a retraining: signed, idempotent, at most once per cooldown per model."""

    type: Literal["retrain"]
    url: SecretStr
    secret: SecretStr


class _DeploymentChannelConfig(_ActionChannelConfig):
    """A signed webhook (`url`, `secret`) and/or an MLflow alias move; `dry_run` records what would
    be done and calls nothing."""

    url: SecretStr | None = None
    secret: SecretStr | None = None
    mlflow: MlflowRegistryConfig | None = None
    dry_run: bool = False

    @model_validator(mode="after")
    def _something_to_call(self) -> _DeploymentChannelConfig:
        if self.url is None and self.mlflow is None and not self.dry_run:
            raise ValueError("give a webhook `url`, an `mlflow` registry, or both (or `dry_run: true`)")
        if self.url is not None and self.secret is None:
            raise ValueError("a webhook `url` needs the `secret` its requests are signed with")
        return self

    @property
    def longest_send(self) -> float:
        webhook = self.timeout if self.url is not None else 0.0
        registry = MLFLOW_CALLS_PER_SEND * self.mlflow.timeout if self.mlflow is not None else 0.0
        return webhook + registry


class RollbackNotifierConfig(_DeploymentChannelConfig):
    """Rules' `action: rollback`: the alias back to the version before it (see docs/deployments.md)."""

    type: Literal["rollback"]


class PromoteNotifierConfig(_DeploymentChannelConfig):
    """Rules' `action: promote`: the alias to the version the alert names; the old one kept as previous."""

    type: Literal["promote"]


ActionChannelConfig = RetrainNotifierConfig | RollbackNotifierConfig | PromoteNotifierConfig


def check_action_rules(notifiers: Mapping[str, Any], monitors: Mapping[str, Any]) -> None:
    """Rules name existing channels; an action finds its channel. ValueError with the path otherwise."""
    known = ", ".join(sorted(notifiers)) or "none configured"
    for name, monitor in monitors.items():
        for i, rule in enumerate(monitor.alerts):
            where = f"monitors.{name}.alerts[{i}]"
            for channel in rule.notify:
                if channel not in notifiers:
                    raise ValueError(f"{where}.notify: unknown notifier {channel!r} (known: {known})")
                kind = notifiers[channel].type
                if kind in ACTIONS:
                    raise ValueError(f"{where}.notify: {channel!r} is a {kind} channel; use `action: {kind}`")
            if rule.action is not None:
                _check_action(notifiers, rule, where)


def _check_action(notifiers: Mapping[str, Any], rule: Any, where: str) -> None:
    channels = _channels_of(notifiers, rule.action)
    field = "retrain_via" if rule.retrain_via is not None else "action_via"
    via = rule.action_via or rule.retrain_via
    if via is not None and via not in channels:
        raise ValueError(
            f"{where}.{field}: {via!r} is not a notifier of type {rule.action} "
            f"(known: {', '.join(channels) or 'none'})"
        )
    if via is None and len(channels) != 1:
        found = "found none" if not channels else f"found several: name one in {field}"
        raise ValueError(f"{where}.action: needs a notifier of type {rule.action}, {found}")


def _channels_of(notifiers: Mapping[str, Any], action: str) -> Sequence[str]:
    return sorted(n for n, c in notifiers.items() if c.type == action)


def action_channel(notifiers: Mapping[str, Any], rule: Any) -> str | None:
    """The channel a rule's action calls, or None when the rule takes no action."""
    if rule.action is None:
        return None
    return rule.action_via or rule.retrain_via or _channels_of(notifiers, rule.action)[0]
