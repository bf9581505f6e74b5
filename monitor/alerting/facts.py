"""What rules see: a window's results as facts, and a configured rule as the pure rule spec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from monitor.config import AlertRuleConfig
from monitor.drift import DatasetDrift
from monitor.metrics import MetricValue
from monitor.rules import BaselineSpec, DatasetFact, RuleSpec, TestFact, WindowFacts, judged_columns
from monitor.store.types import finite
from monitor.windows import Window

_UNJUDGED_SCHEMA = {"missing_in_current", "missing_in_reference"}


def rule_spec(rule: AlertRuleConfig) -> RuleSpec:
    baseline = None
    if rule.baseline is not None:
        b = rule.baseline
        baseline = BaselineSpec(b.windows, b.start, b.end, b.max_drop, b.max_rise, b.relative, b.min_windows)
    return RuleSpec(
        name=rule.name,
        signal=rule.signal,
        threshold=rule.threshold,
        op=rule.op,
        for_windows=rule.for_,
        keep_firing_for=rule.keep_firing_for,
        severity=rule.severity,
        metric=rule.metric,
        column=rule.column,
        test=rule.test,
        check=rule.check,
        baseline=baseline,
        labels=rule.labels,
        notify=tuple(rule.notify),
        action=rule.action,
        per_segment=rule.per_segment,
        detector=rule.detector,
        of=rule.of,
        direction=rule.direction,
        allowance=rule.allowance,
    )


def window_facts(
    drift: DatasetDrift | None,
    metrics: Sequence[MetricValue],
    row_count: int,
    *,
    window: Window,
    quality: Mapping[str, Mapping[str, float | None]] | None = None,
    health: Mapping[str, float | None] | None = None,
    segments: Mapping[str, WindowFacts] | None = None,
    estimated: Mapping[str, float | None] | None = None,
    change_parameters: Mapping[str, Mapping[str, tuple[float, float, int]]] | None = None,
) -> WindowFacts:
    """What rules see of one window. `quality` adds data-quality findings to those read off the
    drift engine (missing share per column, schema change per column, no rows). Without `drift`
    (a segment whose own reference could not be read) no column is judged."""
    tests: dict[str, dict[str, TestFact]] = {}
    schema: dict[str, float | None] = {}
    for r in drift.results if drift else ():
        tests.setdefault(r.column, {})[r.test] = TestFact(
            r.statistic, r.p_value, r.threshold, r.drifted, str(r.status), by_p_value=r.p_value is not None
        )
        changed = str(r.status) in _UNJUDGED_SCHEMA
        schema[r.column] = 1.0 if changed or schema.get(r.column) == 1.0 else 0.0
    missing: dict[str, float | None] = {}
    for c in drift.columns if drift else ():
        total = c.current_missing + c.current_count
        missing[c.column] = c.current_missing / total if total else None
    judged = judged_columns(tests)
    found: dict[str, Mapping[str, float | None]] = {
        "no_rows": {"": 1.0 if row_count == 0 else 0.0},
        "missing_share": missing,
        "schema_change": schema,
        **(quality or {}),
    }
    return WindowFacts(
        drift_share=drift.drift_share if judged and drift else None,
        drifted_columns=drift.drifted_columns if drift else (),
        judged_columns=judged,
        metrics={m.metric: m.value for m in metrics},
        row_count=row_count,
        column_tests=tests,
        quality=found,
        window_start=window.start,
        health=dict(health or {}),
        segments=dict(segments or {}),
        dataset_tests={
            t.test: DatasetFact(t.statistic, t.drifted, str(t.status))
            for t in (drift.dataset_tests if drift else ())
        },
        weighted_drift_share=drift.weighted.drift_share if drift and drift.weighted is not None else None,
        estimated=dict(estimated or {}),
        change_parameters=dict(change_parameters or {}),
    )


def facts_to_json(facts: WindowFacts) -> dict[str, Any]:
    """The facts as stored with a run (NaN and infinities as null, which JSON on PostgreSQL needs)."""
    return {
        "drift_share": finite(facts.drift_share),
        "drifted_columns": list(facts.drifted_columns),
        "judged_columns": list(facts.judged_columns),
        "metrics": {k: finite(v) for k, v in facts.metrics.items()},
        "row_count": facts.row_count,
        "column_tests": {
            column: {
                test: [finite(f.statistic), finite(f.p_value), f.threshold, f.drifted, f.status, f.by_p_value]
                for test, f in tests.items()
            }
            for column, tests in facts.column_tests.items()
        },
        "quality": {
            check: {k: finite(v) for k, v in values.items()} for check, values in facts.quality.items()
        },
        "window_start": None if facts.window_start is None else facts.window_start.isoformat(),
        "health": {k: finite(v) for k, v in facts.health.items()},
        "segments": {name: facts_to_json(segment) for name, segment in facts.segments.items()},
        "dataset_tests": {
            test: [finite(f.statistic), f.drifted, f.status] for test, f in facts.dataset_tests.items()
        },
        "weighted_drift_share": finite(facts.weighted_drift_share),
        "estimated": {k: finite(v) for k, v in facts.estimated.items()},
        "change_parameters": {
            kind: {metric: list(p) for metric, p in found.items()}
            for kind, found in facts.change_parameters.items()
        },
    }


def facts_from_json(data: dict[str, Any]) -> WindowFacts:
    start = data.get("window_start")
    return WindowFacts(
        drift_share=data["drift_share"],
        drifted_columns=tuple(data["drifted_columns"]),
        judged_columns=tuple(data["judged_columns"]),
        metrics=dict(data["metrics"]),
        row_count=int(data["row_count"]),
        column_tests={
            column: {test: TestFact(*values) for test, values in tests.items()}
            for column, tests in data["column_tests"].items()
        },
        quality={check: dict(values) for check, values in data["quality"].items()},
        window_start=None if start is None else datetime.fromisoformat(start),
        health=dict(data.get("health", {})),
        segments={name: facts_from_json(seg) for name, seg in data.get("segments", {}).items()},
        # Facts stored before dataset-level drift existed have neither.
        dataset_tests={test: DatasetFact(*values) for test, values in data.get("dataset_tests", {}).items()},
        weighted_drift_share=data.get("weighted_drift_share"),
        estimated=dict(data.get("estimated", {})),
        change_parameters={
            kind: {metric: (float(p[0]), float(p[1]), int(p[2])) for metric, p in found.items()}
            for kind, found in data.get("change_parameters", {}).items()
        },
    )


def failed_facts(window: Window) -> WindowFacts:
    """What rules see of a window that could not be computed on any attempt."""
    return WindowFacts(
        drift_share=None,
        drifted_columns=(),
        judged_columns=(),
        metrics={},
        row_count=0,
        window_start=window.start,
        run_failed=True,
    )
