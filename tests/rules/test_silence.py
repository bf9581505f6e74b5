from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.rules import MatcherError, Silence, check_matchers, parse_matcher, silenced_by

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
LABELS = {"rule": "drift", "column": "age", "monitor": "credit", "severity": "warning"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rule=drift", True),
        ("rule!=drift", False),
        ("column=~a.e", True),
        ("column=~ag", False),  # anchored: a regex must match the whole value
        ("column!~inc.*", True),
        ('monitor="credit"', True),
        ("team=", True),  # a missing label reads as ""
        ("team!=", False),
    ],
)
def test_matcher_operators(text: str, expected: bool) -> None:
    assert parse_matcher(text).matches(LABELS) is expected


@pytest.mark.parametrize("text", ["rule", "=x", "a b=c", "1a=b"])
def test_malformed_matchers_are_refused_with_the_text(text: str) -> None:
    with pytest.raises(MatcherError, match="not a matcher"):
        parse_matcher(text)


def test_bad_regex_is_named() -> None:
    with pytest.raises(MatcherError, match=r"column=~\(: not a regular expression RE2 accepts"):
        parse_matcher("column=~(")


def test_a_silence_that_would_mute_everything_is_refused() -> None:
    with pytest.raises(MatcherError, match="mute everything"):
        check_matchers([parse_matcher("team=~.*")])
    with pytest.raises(MatcherError, match="at least one"):
        check_matchers([])
    check_matchers([parse_matcher("team=~.*"), parse_matcher("rule=drift")])


def test_only_active_silences_whose_matchers_all_match_mute() -> None:
    both = (parse_matcher("rule=drift"), parse_matcher("column=~age|income"))
    silences = [
        Silence(1, both, NOW - timedelta(hours=1), NOW + timedelta(hours=1)),
        Silence(2, both, NOW - timedelta(hours=2), NOW),  # expired exactly now
        Silence(3, (parse_matcher("rule=drift"), parse_matcher("column=x")), NOW, NOW + timedelta(hours=1)),
        Silence(4, both, NOW + timedelta(minutes=1), NOW + timedelta(hours=1)),  # not started
    ]
    assert silenced_by(LABELS, silences, NOW) == [1]


def test_a_catastrophic_pattern_matches_in_linear_time() -> None:
    """`(.*.*)*z` backtracks exponentially in Python's `re` (40 characters: hours); RE2 answers at once.
    Run in a thread so a regression fails after 10 s instead of hanging the suite."""
    import threading

    matcher = parse_matcher("monitor=~(.*.*)*z")
    found: list[bool] = []
    worker = threading.Thread(target=lambda: found.append(matcher.matches({"monitor": "a" * 40 + "y"})))
    worker.start()
    worker.join(timeout=10)
    assert found == [False]


def test_patterns_re2_cannot_run_and_overlong_values_are_refused() -> None:
    with pytest.raises(MatcherError, match="RE2"):
        parse_matcher(r"column=~(a)\1")  # a backreference
    with pytest.raises(MatcherError, match="at most 500 characters"):
        parse_matcher("column=" + "a" * 501)
