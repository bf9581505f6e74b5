from __future__ import annotations

from monitor.rules import AlertState, RuleSpec, WindowFacts, evaluate_rule, fingerprint, observe

RULE = RuleSpec(name="drift", signal="drift_share", threshold=0.3, op=">=", for_windows=2)


def step(values: list[float | None], rule: RuleSpec = RULE) -> list[tuple[str, str | None]]:
    state = AlertState()
    seen = []
    for value in values:
        result = evaluate_rule(rule, {"rule": rule.name}, value, state)
        state = AlertState(result.state, result.breaches)
        seen.append((result.state, result.transition))
    return seen


def test_for_two_fires_on_the_second_breaching_window_not_the_first() -> None:
    assert step([0.5, 0.5]) == [("pending", None), ("firing", "fired")]


def test_a_clear_window_in_between_resets_the_count() -> None:
    assert step([0.5, 0.1, 0.5]) == [("pending", None), ("inactive", None), ("pending", None)]


def test_firing_stays_firing_without_new_transition_then_resolves_once() -> None:
    assert step([0.5, 0.5, 0.6, 0.1, 0.1]) == [
        ("pending", None),
        ("firing", "fired"),
        ("firing", None),
        ("resolved", "resolved"),
        ("resolved", None),
    ]


def test_missing_value_changes_nothing() -> None:
    assert step([0.5, None, 0.5]) == [("pending", None), ("pending", None), ("firing", "fired")]


def test_less_than_operator_for_metrics() -> None:
    rule = RuleSpec(name="auc", signal="metric", metric="roc_auc", threshold=0.7, op="<", for_windows=1)
    assert step([0.8, 0.69, 0.7], rule) == [("inactive", None), ("firing", "fired"), ("resolved", "resolved")]


def test_observe_column_drift_gives_one_series_per_judged_column() -> None:
    facts = WindowFacts(0.5, ("age",), ("age", "income"), {}, 100)
    rule = RuleSpec(name="col", signal="column_drift", threshold=1.0)
    assert observe(rule, facts) == [
        ({"rule": "col", "column": "age"}, 1.0),
        ({"rule": "col", "column": "income"}, 0.0),
    ]


def test_fingerprint_depends_on_labels_not_their_order() -> None:
    a = fingerprint("m", "r", {"x": "1", "y": "2"})
    assert a == fingerprint("m", "r", {"y": "2", "x": "1"})
    assert a != fingerprint("m", "r", {"x": "1", "y": "3"})
    assert a != fingerprint("other", "r", {"x": "1", "y": "2"})
