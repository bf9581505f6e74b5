"""Drift tests by name. Adding a test: one module with a DriftTest subclass, one `register()` line."""

from __future__ import annotations

from monitor.drift.base import DriftTest
from monitor.drift.chi2 import Chi2Test
from monitor.drift.ks import KSTest
from monitor.drift.psi import PSITest

_TESTS: dict[str, DriftTest] = {}


class UnknownTestError(KeyError, ValueError):
    """An unknown test name: a KeyError for lookups, a ValueError for options that name it."""

    def __str__(self) -> str:  # KeyError would print the message quoted, as if it were a key
        return str(self.args[0]) if self.args else ""


def register(test: DriftTest) -> None:
    _TESTS[test.name] = test


def known_tests() -> tuple[str, ...]:
    return tuple(sorted(_TESTS))


def get_test(name: str) -> DriftTest:
    try:
        return _TESTS[name]
    except KeyError:
        known = ", ".join(known_tests())
        raise UnknownTestError(f"unknown drift test {name!r}; known tests: {known}") from None


register(KSTest())
register(Chi2Test())
register(PSITest())
