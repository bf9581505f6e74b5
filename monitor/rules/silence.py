"""Silences: label matchers with an expiry, as Alertmanager's. A silenced alert is still recorded;
only its notifications are held back.

Regular expressions run on RE2 (as Alertmanager's Go regexps do): matching takes time linear in the
text, so no pattern can stall the service (Python's `re` backtracks: `(.*.*)*z` takes seconds, holding
the GIL, inside every run's transaction). RE2 has no backreferences or lookarounds; a pattern using
them is refused with the reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

import re2

MatchOp = Literal["=", "!=", "=~", "!~"]
# Longest operators first, so `a!=b` is not read as `a!` `=` `b`.
_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


MAX_PATTERN = 500  # characters of a matcher's value


class MatcherError(ValueError):
    """A matcher that cannot be parsed or compiled; the message says which and why."""


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


@dataclass(frozen=True)
class Matcher:
    name: str
    op: MatchOp
    value: str

    def __post_init__(self) -> None:
        if len(self.value) > MAX_PATTERN:
            raise MatcherError(f"{self.name}{self.op}...: a value of at most {MAX_PATTERN} characters")
        if self.op in ("=~", "!~"):
            try:
                _compiled(self.value)
            except re2.error as exc:
                reason = (
                    exc.args[0].decode(errors="replace")
                    if exc.args and isinstance(exc.args[0], bytes)
                    else exc
                )
                raise MatcherError(f"{self}: not a regular expression RE2 accepts ({reason})") from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        # A label the alert does not have reads as "", as in Alertmanager.
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        # Regular expressions are anchored at both ends, as in Alertmanager.
        found = _compiled(self.value).fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"


def parse_matcher(text: str) -> Matcher:
    """`name=value`, `name!=value`, `name=~regex` or `name!~regex`; quotes around the value are optional."""
    match = _MATCHER.match(text)
    if match is None:
        raise MatcherError(f"{text!r} is not a matcher: write name=value, name!=value, name=~re or name!~re")
    name, op, value = match.groups()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return Matcher(name, op, value)  # type: ignore[arg-type]


def check_matchers(matchers: Sequence[Matcher]) -> None:
    """A silence must select something: at least one matcher that the empty label set fails."""
    if not matchers:
        raise MatcherError("a silence needs at least one matcher")
    if all(m.matches({}) for m in matchers):
        raise MatcherError(
            "every matcher also matches alerts without that label, so this silence would mute "
            "everything; add a matcher such as rule=NAME or monitor=NAME"
        )


@dataclass(frozen=True)
class Silence:
    id: int
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def mutes(self, labels: Mapping[str, str], now: datetime) -> bool:
        return self.active(now) and all(m.matches(labels) for m in self.matchers)


def silenced_by(labels: Mapping[str, str], silences: Iterable[Silence], now: datetime) -> list[int]:
    """The ids of the active silences that mute an alert with these labels."""
    return [s.id for s in silences if s.mutes(labels, now)]
