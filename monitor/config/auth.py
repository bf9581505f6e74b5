"""Who may use the service: API keys with scopes, browser sessions, and the names it answers to."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator

from monitor.config._base import Duration, _Strict

Scope = Literal["read", "ingest", "operate", "admin"]


class ConfiguredKeyConfig(_Strict):
    """A key given in the config (its token from `${VAR}`), for automation; it cannot be revoked
    through the API, only by removing it from the config."""

    name: str = Field(min_length=1, max_length=200)
    token: str = Field(min_length=24, max_length=400)
    scope: Scope
    models: list[str] = Field(default_factory=list)


class AuthConfig(_Strict):
    # Off only for a demo on the loopback interface: `monitor serve` refuses to start with it off on
    # any other address, and every page says that it is off.
    enabled: bool = True
    keys: list[ConfiguredKeyConfig] = Field(default_factory=list)
    # How long a browser stays logged in.
    session_max_age: Duration = timedelta(hours=12)
    # Host names the service answers to besides server.host, localhost and the public URL's host
    # (a request naming another Host is refused: DNS rebinding).
    allowed_hosts: list[str] = Field(default_factory=list)

    @field_validator("keys")
    @classmethod
    def _names_unique(cls, keys: list[ConfiguredKeyConfig]) -> list[ConfiguredKeyConfig]:
        names = [k.name for k in keys]
        if len(names) != len(set(names)):
            raise ValueError("every key needs its own name")
        return keys
