"""Drift tests by name. Adding a test: one module with a DriftTest subclass, one `register()` line.

Names starting with `evidently:` are Evidently's tests, made on first use (evidently_adapter.py).
`auto` is not a test but a request to choose one per column (auto.py); options may name it.
"""

from __future__ import annotations

from monitor.drift.base import DriftTest
from monitor.drift.chi2 import Chi2Test
from monitor.drift.hellinger import HellingerTest
from monitor.drift.jensenshannon import JensenShannonTest
from monitor.drift.ks import KSTest
from monitor.drift.levels import Chi2LevelsTest
from monitor.drift.options import AUTO
from monitor.drift.psi import PSITest
from monitor.drift.smallsample import Chi2MonteCarloTest, FisherTest
from monitor.drift.wasserstein import WassersteinTest

EVIDENTLY_PREFIX = "evidently:"

_TESTS: dict[str, DriftTest] = {}


class UnknownTestError(KeyError, ValueError):
    """An unknown test name: a KeyError for lookups, a ValueError for options that name it."""

    def __str__(self) -> str:  # KeyError would print the message quoted, as if it were a key
        return str(self.args[0]) if self.args else ""


def register(test: DriftTest) -> None:
    _TESTS[test.name] = test


def known_tests() -> tuple[str, ...]:
    return tuple(sorted(_TESTS))


def is_known(name: str) -> bool:
    """A registered test, `auto`, or a well-formed `evidently:<name>` (checked against Evidently on use)."""
    return (
        name in _TESTS
        or name == AUTO
        or (name.startswith(EVIDENTLY_PREFIX) and len(name) > len(EVIDENTLY_PREFIX))
    )


def get_test(name: str) -> DriftTest:
    if name.startswith(EVIDENTLY_PREFIX):
        from monitor.drift.evidently_adapter import evidently_test

        return evidently_test(name)
    try:
        return _TESTS[name]
    except KeyError:
        known = ", ".join(known_tests())
        raise UnknownTestError(f"unknown drift test {name!r}; known tests: {known}") from None


register(KSTest())
register(Chi2Test())
register(PSITest())
register(WassersteinTest())
register(JensenShannonTest())
register(HellingerTest())
register(FisherTest())
register(Chi2MonteCarloTest())
register(Chi2LevelsTest())
