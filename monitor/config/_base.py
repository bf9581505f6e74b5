"""What every config section shares: durations, strict models, `${VAR}` interpolation, error paths."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict
from pydantic.functional_validators import BeforeValidator

DATABASE_URL_ENV = "MONITOR_DATABASE_URL"
_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class ConfigError(Exception):
    """A config file that cannot be used; `errors` holds (path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("\n".join(f"{path}: {message}" if path else message for path, message in errors))


# Longer than any window, lease or retention anyone means; beyond it a typo, or an overflow.
MAX_DURATION = timedelta(days=36_500)


def parse_duration(text: str) -> timedelta:
    """`30s`, `15m`, `2h`, `7d` or `4w` as a timedelta; ValueError for anything else or above
    MAX_DURATION (never an OverflowError)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration such as 30m, 2h or 7d: {text[:40]!r}")
    amount = int(match.group(1)) if len(match.group(1)) <= 9 else 10**9
    limit = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}[match.group(2)]
    if amount * limit > MAX_DURATION.total_seconds():
        raise ValueError(f"{text.strip()} is longer than {MAX_DURATION.days} days")
    return timedelta(**{_UNITS[match.group(2)]: amount})


def _parse_duration(value: Any) -> Any:
    if isinstance(value, str) and _DURATION.match(value):
        return parse_duration(value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def interpolate_env(
    value: Any, env: Mapping[str, str], path: str = "", missing: list[tuple[str, str]] | None = None
) -> Any:
    """Replace `${VAR}` and `${VAR:-default}` in every string of a parsed YAML tree.

    An unset variable without a default is an error at its path: collected into `missing` when
    given (so validation can still report everything else), raised at once otherwise."""
    if isinstance(value, dict):
        return {k: interpolate_env(v, env, _join(path, k), missing) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate_env(v, env, f"{path}[{i}]", missing) for i, v in enumerate(value)]
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            error = (path, f"environment variable {name} is not set")
            if missing is None:
                raise ConfigError([error])
            missing.append(error)
            return ""

        return _ENV_PATTERN.sub(substitute, value)
    return value


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


_UNION_TAGS = {
    "files",
    "sql",
    "ingest",
    "period",
    "log",
    "slack",
    "webhook",
    "retrain",
    "rollback",
    "promote",
}


def _is_union_slot(loc: tuple[int | str, ...], i: int) -> bool:
    """Whether loc[i] is the member pydantic names inside a source or notifier union, not a user's key
    (a notifier may well be called `slack`)."""
    return (i >= 1 and loc[i - 1] in ("source", "reference")) or (i >= 2 and loc[i - 2] == "notifiers")


def _error_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _UNION_TAGS and _is_union_slot(loc, i):
            continue  # pydantic names the union member it tried; the user never wrote that
        else:
            path = _join(path, "for" if part == "for_" else part)
    return path
