from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.rules import BaselineSpec, DatasetFact, MetricPoint, RuleSpec, TestFact, WindowFacts, observe

DAY = datetime(2026, 3, 1, tzinfo=UTC)


def facts(**kwargs: object) -> WindowFacts:
    base: dict[str, object] = {
        "drift_share": 0.5,
        "drifted_columns": ("age",),
        "judged_columns": ("age", "income"),
        "metrics": {},
        "row_count": 100,
    }
    return WindowFacts(**{**base, **kwargs})  # type: ignore[arg-type]


def test_column_drift_without_test_facts_gives_one_series_per_judged_column() -> None:
    rule = RuleSpec(name="col", signal="column_drift")
    seen = [(o.labels, o.value, o.breached) for o in observe(rule, facts())]
    assert seen == [
        ({"rule": "col", "column": "age"}, 1.0, True),
        ({"rule": "col", "column": "income"}, 0.0, False),
    ]


def test_column_drift_by_one_test_reads_only_that_test() -> None:
    tests = {
        "age": {
            "ks": TestFact(0.2, 1e-6, 0.05, True),
            "psi": TestFact(0.05, None, 0.2, False, by_p_value=False),
        },
        "income": {"ks": TestFact(0.0, 1.0, 0.05, False, status="constant")},
    }
    by_psi = RuleSpec(name="psi-drift", signal="column_drift", test="psi")
    by_ks = RuleSpec(name="ks-drift", signal="column_drift", test="ks")
    psi = {o.labels["column"]: (o.value, o.breached) for o in observe(by_psi, facts(column_tests=tests))}
    ks = {o.labels["column"]: (o.value, o.breached) for o in observe(by_ks, facts(column_tests=tests))}
    # income's only test could not judge (constant): no value, so its alert keeps its state
    assert psi == {"age": (0.0, False), "income": (None, None)}
    assert ks == {"age": (1.0, True), "income": (None, None)}
    (age,) = [o for o in observe(by_ks, facts(column_tests=tests)) if o.labels["column"] == "age"]
    assert age.labels == {"rule": "ks-drift", "column": "age", "test": "ks"}
    assert age.summary == "age drifted (ks p=1e-06 < 0.05)"


def test_drift_share_and_row_count_compare_with_the_threshold() -> None:
    (share,) = observe(RuleSpec(name="share", signal="drift_share", threshold=0.3), facts())
    (rows,) = observe(RuleSpec(name="rows", signal="row_count", op="<", threshold=10), facts(row_count=3))
    assert (share.value, share.threshold, share.breached) == (0.5, 0.3, True)
    assert share.summary == "drift share = 0.5 (>= 0.3: breached)"
    assert (rows.value, rows.breached) == (3.0, True)


def history(values: list[float]) -> list[MetricPoint]:
    return [
        MetricPoint(DAY + timedelta(days=i), DAY + timedelta(days=i + 1), v) for i, v in enumerate(values)
    ]


def test_metric_drop_relative_to_the_mean_of_the_previous_windows() -> None:
    spec = BaselineSpec(windows=3, max_drop=0.1, relative=True)
    rule = RuleSpec(name="auc-drop", signal="metric", metric="roc_auc", baseline=spec)
    past = history([0.60, 0.80, 0.80, 0.83])  # the previous 3 windows: 0.80, 0.80, 0.83
    now = DAY + timedelta(days=4)
    (hit,) = observe(
        rule, facts(metrics={"roc_auc": 0.72}, metric_history={"roc_auc": past}, window_start=now)
    )
    (ok,) = observe(
        rule, facts(metrics={"roc_auc": 0.73}, metric_history={"roc_auc": past}, window_start=now)
    )
    mean = (0.80 + 0.80 + 0.83) / 3
    assert hit.threshold == pytest.approx(mean * 0.9, abs=1e-12)  # 0.729
    assert (hit.op, hit.breached, ok.breached) == ("<", True, False)
    assert hit.labels == {"rule": "auc-drop", "metric": "roc_auc"}


def test_metric_drop_absolute_against_a_fixed_period_ignores_later_windows() -> None:
    spec = BaselineSpec(start=DAY, end=DAY + timedelta(days=2), max_drop=0.05)
    rule = RuleSpec(name="auc-drop", signal="metric", metric="roc_auc", baseline=spec)
    past = history([0.90, 0.80, 0.10])  # the third window is outside the period
    (obs,) = observe(rule, facts(metrics={"roc_auc": 0.80}, metric_history={"roc_auc": past}))
    assert obs.threshold == pytest.approx(0.85 - 0.05, abs=1e-12)
    assert obs.breached is False


def test_metric_rise_and_too_few_baseline_windows() -> None:
    rise = RuleSpec(
        name="err-rise", signal="metric", metric="mae", baseline=BaselineSpec(windows=2, max_rise=1.0)
    )
    strict = RuleSpec(
        name="strict",
        signal="metric",
        metric="mae",
        baseline=BaselineSpec(windows=5, max_rise=1, min_windows=3),
    )
    data = facts(
        metrics={"mae": 4.5},
        metric_history={"mae": history([3.0, 3.4])},
        window_start=DAY + timedelta(days=9),
    )
    (up,) = observe(rise, data)
    (unsure,) = observe(strict, data)
    assert (up.op, up.breached) == (">", True) and up.threshold == pytest.approx(4.2)
    assert (unsure.breached, unsure.summary) == (None, "mae: no baseline yet")


def test_quality_reads_a_generic_mapping_and_derives_no_rows() -> None:
    quality = {"missing_share": {"age": 0.4, "income": 0.0}, "schema_change": {"": 1.0}}
    missing = RuleSpec(name="missing", signal="quality", check="missing_share", op=">", threshold=0.25)
    schema = RuleSpec(name="schema", signal="quality", check="schema_change")
    empty = RuleSpec(name="empty", signal="quality", check="no_rows")
    seen = {o.labels.get("column"): o.breached for o in observe(missing, facts(quality=quality))}
    (changed,) = observe(schema, facts(quality=quality))
    (no_rows,) = observe(empty, facts(row_count=0))
    (some_rows,) = observe(empty, facts(row_count=5))
    assert seen == {"age": True, "income": False}
    assert (changed.labels, changed.breached) == ({"rule": "schema", "check": "schema_change"}, True)
    assert (no_rows.breached, some_rows.breached) == (True, False)


def test_quality_subject_not_in_the_mapping_is_not_judged() -> None:
    rule = RuleSpec(name="m", signal="quality", check="missing_share", column="gone", threshold=0.1)
    (obs,) = observe(rule, facts(quality={"missing_share": {"age": 0.5}}))
    assert (obs.value, obs.breached) == (None, None)


def test_dataset_drift_gives_one_series_per_multivariate_test_and_none_when_it_could_not_judge() -> None:
    facts = WindowFacts(
        drift_share=0.0,
        drifted_columns=(),
        judged_columns=("x",),
        metrics={},
        row_count=500,
        dataset_tests={
            "domain_classifier": DatasetFact(0.81, True),
            "pca_reconstruction": DatasetFact(None, False, "insufficient_data"),
        },
    )
    each = observe(RuleSpec(name="mv", signal="dataset_drift"), facts)
    assert [(o.labels["test"], o.value, o.breached) for o in each] == [
        ("domain_classifier", 1.0, True),
        ("pca_reconstruction", None, None),
    ]
    assert "domain_classifier (0.81) drifted" in each[0].summary
    (one,) = observe(RuleSpec(name="mv", signal="dataset_drift", test="pca_reconstruction"), facts)
    assert one.value is None  # could not judge: the alert keeps its state
    (absent,) = observe(
        RuleSpec(name="mv", signal="dataset_drift", test="domain_classifier"),
        WindowFacts(drift_share=0.0, drifted_columns=(), judged_columns=(), metrics={}, row_count=0),
    )
    assert absent.value is None and absent.breached is None


def test_weighted_drift_share_is_compared_with_the_threshold() -> None:
    facts = WindowFacts(
        drift_share=0.1,
        drifted_columns=("x",),
        judged_columns=("x", "y"),
        metrics={},
        row_count=9,
        weighted_drift_share=0.6,
    )
    (o,) = observe(RuleSpec(name="w", signal="weighted_drift_share", threshold=0.5), facts)
    assert o.value == 0.6 and o.breached
    (none,) = observe(
        RuleSpec(name="w", signal="weighted_drift_share", threshold=0.5),
        replace(facts, weighted_drift_share=None),
    )
    assert none.breached is None


# Performance estimated without labels, and changes of a metric's series.

from monitor.rules import ChangeFact  # noqa: E402


def test_an_estimated_metric_rule_compares_the_estimate() -> None:
    rule = RuleSpec(name="est", signal="estimated_metric", metric="roc_auc", op="<", threshold=0.7)
    (seen,) = observe(rule, facts(estimated={"roc_auc": 0.65}, metrics={"roc_auc": 0.9}))
    assert (seen.labels, seen.value, seen.breached) == ({"rule": "est", "metric": "roc_auc"}, 0.65, True)
    assert seen.summary == "estimated roc_auc = 0.65 (< 0.7: breached)"
    (unknown,) = observe(rule, facts())
    assert unknown.breached is None


def test_an_estimated_metric_rule_per_segment() -> None:
    rule = RuleSpec(
        name="est", signal="estimated_metric", metric="accuracy", op="<", threshold=0.7, per_segment=True
    )
    segments = {"v=a": facts(estimated={"accuracy": 0.9}), "v=b": facts(estimated={"accuracy": 0.6})}
    seen = {o.labels["segment"]: o.breached for o in observe(rule, facts(segments=segments))}
    assert seen == {"v=a": False, "v=b": True}


def test_a_change_rule_reads_its_detector() -> None:
    rule = RuleSpec(name="chg", signal="metric_change", metric="roc_auc")
    began_end = DAY + timedelta(days=1)
    change = ChangeFact("estimated roc_auc", 6.2, 5.0, True, DAY, "down", windows=30, began_end=began_end)
    (seen,) = observe(rule, facts(changes={"chg": change}))
    assert (seen.value, seen.threshold, seen.op, seen.breached) == (6.2, 5.0, ">", True)
    assert seen.summary == (
        "estimated roc_auc: CUSUM 6.2 (alarm above 5; 30 windows): change (down) since the window of "
        "2026-03-01 00:00"
    )
    # The alert is dated from the window where the change began, not the one it is judged on.
    assert seen.since == (DAY, began_end)
    # An alarm holds while the statistic falls back towards 0: breached below the threshold too.
    held = ChangeFact("estimated roc_auc", 2.0, 5.0, True, DAY, "down", windows=31, began_end=began_end)
    assert observe(rule, facts(changes={"chg": held}))[0].breached is True
    calm = observe(rule, facts(changes={"chg": ChangeFact("estimated roc_auc", 1.0, 5.0, windows=32)}))
    assert (calm[0].breached, calm[0].since) == (False, None)
    quiet = ChangeFact("estimated roc_auc", None, 5.0, reason="no window with a value yet")
    (none,) = observe(rule, facts(changes={"chg": quiet}))
    assert none.breached is None and none.summary == "estimated roc_auc: no window with a value yet"
