from __future__ import annotations

from monitor.rules import AlertState, RuleSpec, evaluate_rule, fingerprint
from monitor.rules.evaluate import breached

RULE = RuleSpec(name="drift", signal="drift_share", threshold=0.3, op=">=", for_windows=2)


def step(values: list[float | None], rule: RuleSpec = RULE) -> list[tuple[str, str | None]]:
    state = AlertState()
    seen: list[tuple[str, str | None]] = []
    for value in values:
        hit = None if value is None else breached(value, rule.op, rule.threshold or 0.0)
        result = evaluate_rule(rule, hit, state)
        state = result.alert_state
        seen.append((result.state, result.transition))
    return seen


def test_for_two_fires_on_the_second_breaching_window_not_the_first() -> None:
    assert step([0.5, 0.5]) == [("pending", "pending"), ("firing", "fired")]


def test_a_clear_window_in_between_resets_the_count() -> None:
    assert step([0.5, 0.1, 0.5]) == [("pending", "pending"), ("inactive", "cleared"), ("pending", "pending")]


def test_firing_stays_firing_without_new_transition_then_resolves_once() -> None:
    assert step([0.5, 0.5, 0.6, 0.1, 0.1]) == [
        ("pending", "pending"),
        ("firing", "fired"),
        ("firing", None),
        ("resolved", "resolved"),
        ("resolved", None),
    ]


def test_missing_value_changes_nothing() -> None:
    assert step([0.5, None, 0.5]) == [("pending", "pending"), ("pending", None), ("firing", "fired")]


def test_less_than_operator_for_metrics() -> None:
    rule = RuleSpec(name="auc", signal="metric", metric="roc_auc", threshold=0.7, op="<", for_windows=1)
    assert step([0.8, 0.69, 0.7], rule) == [("inactive", None), ("firing", "fired"), ("resolved", "resolved")]


def test_keep_firing_for_two_rides_out_two_clear_windows_and_resolves_on_the_third() -> None:
    rule = RuleSpec(name="drift", signal="drift_share", threshold=0.3, for_windows=1, keep_firing_for=2)
    assert step([0.5, 0.1, 0.1, 0.1], rule) == [
        ("firing", "fired"),
        ("firing", None),
        ("firing", None),
        ("resolved", "resolved"),
    ]


def test_a_breach_while_keeping_firing_restarts_the_clear_count() -> None:
    rule = RuleSpec(name="drift", signal="drift_share", threshold=0.3, for_windows=1, keep_firing_for=1)
    # flapping: breach, clear, breach, clear, clear -> one firing episode, one resolution
    seen = step([0.5, 0.1, 0.5, 0.1, 0.1], rule)
    assert [t for _, t in seen] == ["fired", None, None, None, "resolved"]


def test_fingerprint_depends_on_labels_not_their_order() -> None:
    a = fingerprint("m", "r", {"x": "1", "y": "2"})
    assert a == fingerprint("m", "r", {"y": "2", "x": "1"})
    assert a != fingerprint("m", "r", {"x": "1", "y": "3"})
    assert a != fingerprint("other", "r", {"x": "1", "y": "2"})
