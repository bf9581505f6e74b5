"""What a rule watches in one window's results: the (labels, value, threshold) series it judges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from monitor.rules.evaluate import BaselineSpec, RuleSpec, breached


@dataclass(frozen=True)
class TestFact:
    """One drift test's verdict on one column."""

    __test__ = False  # not a pytest class

    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool
    status: str = "ok"
    # True when a small p-value means drift (ks, chi2); False for distances (psi).
    by_p_value: bool = True


@dataclass(frozen=True)
class DatasetFact:
    """One multivariate test's verdict on the window (domain classifier AUC, reconstruction error)."""

    statistic: float | None
    drifted: bool
    status: str = "ok"


@dataclass(frozen=True)
class MetricPoint:
    window_start: datetime
    window_end: datetime
    value: float


@dataclass(frozen=True)
class ChangeFact:
    """What a `metric_change` rule's detector (monitor.metrics.change) says after a window."""

    subject: str  # e.g. "estimated roc_auc"
    statistic: float | None  # in standard deviations; None: not judged (see `reason`)
    threshold: float
    alarm: bool = False
    began: datetime | None = None  # start of the window where the detected change began
    direction: str | None = None  # down or up, in alarm
    windows: int = 0  # windows of the series with a value
    reason: str | None = None
    began_end: datetime | None = None  # end of the window where the detected change began


@dataclass(frozen=True)
class WindowFacts:
    """What a rule can look at in one window's results.

    `quality` maps a check name to {subject: value}; the subject is a column name, or "" for the
    whole dataset. A subject absent from the mapping was not judged in this window (the alert keeps
    its state). Findings are 0/1 (schema_change: 1 when the column is missing from one side), shares
    are in [0, 1] (missing_share). `no_rows` is derived from `row_count` when not given.
    `metric_history` holds earlier windows' values, which baseline rules average.
    """

    drift_share: float | None
    drifted_columns: tuple[str, ...]
    judged_columns: tuple[str, ...]
    metrics: Mapping[str, float | None]
    row_count: int
    column_tests: Mapping[str, Mapping[str, TestFact]] = field(default_factory=dict)
    quality: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    metric_history: Mapping[str, Sequence[MetricPoint]] = field(default_factory=dict)
    window_start: datetime | None = None
    # The window could not be computed on any attempt: only `run_failed` rules judge it.
    run_failed: bool = False
    # Serving health (monitor.metrics.serving): measure -> value; None: not measured.
    health: Mapping[str, float | None] = field(default_factory=dict)
    # The facts of each segment of the window (`segments.by`), by segment name.
    segments: Mapping[str, WindowFacts] = field(default_factory=dict)
    # Multivariate verdicts by test, and the importance-weighted drift share (None: not computed).
    dataset_tests: Mapping[str, DatasetFact] = field(default_factory=dict)
    weighted_drift_share: float | None = None
    # Performance estimated without labels (signal `estimated_metric`): metric -> value.
    estimated: Mapping[str, float | None] = field(default_factory=dict)
    # Each metric's level and spread on reference chunks, "realised" or "estimated" -> metric ->
    # (mean, std, chunk rows): what change detection standardises a window's value with.
    change_parameters: Mapping[str, Mapping[str, tuple[float, float, int]]] = field(default_factory=dict)
    # Each `metric_change` rule's detector after this window, by rule name (added when judged).
    changes: Mapping[str, ChangeFact] = field(default_factory=dict)


def judged_columns(column_tests: Mapping[str, Mapping[str, TestFact]]) -> tuple[str, ...]:
    """Columns with at least one test that could be judged (status ok), sorted. A window where none
    could be judged has no drift share to speak of."""
    return tuple(
        sorted(c for c, tests in column_tests.items() if any(f.status == "ok" for f in tests.values()))
    )


@dataclass(frozen=True)
class Observation:
    """One series of a rule in one window. `breached` is None when there is nothing to judge."""

    labels: dict[str, str]
    value: float | None
    threshold: float | None
    op: str
    breached: bool | None
    summary: str
    # The window (start, end) where the condition began, when the signal dates it before the judged
    # window (a change detector names where its evidence started); None: the judged window.
    since: tuple[datetime, datetime] | None = None


def observe(rule: RuleSpec, facts: WindowFacts) -> list[Observation]:
    """The series a rule watches in this window; each becomes one alert (fingerprint: rule + labels).
    A per-segment rule watches each segment present in the window; a segment absent from a window
    is not judged there (its alert keeps its state)."""
    if rule.per_segment:
        whole = replace(rule, per_segment=False)
        return [
            replace(o, labels={**o.labels, "segment": name}, summary=f"{name}: {o.summary}")
            for name, segment in sorted(facts.segments.items())
            for o in observe(whole, segment)
        ]
    base = {"rule": rule.name, **rule.labels}
    if rule.signal == "health":
        name = rule.metric or ""
        return [_compare(rule, {**base, "metric": name}, facts.health.get(name), name.replace("_", " "))]
    if rule.signal == "drift_share":
        return [_compare(rule, base, facts.drift_share, "drift share")]
    if rule.signal == "row_count":
        return [_compare(rule, base, float(facts.row_count), "row count")]
    if rule.signal == "metric":
        name = rule.metric or ""
        labels = {**base, "metric": name}
        value = facts.metrics.get(name)
        if rule.baseline is not None:
            return [_against_baseline(rule, labels, value, facts)]
        return [_compare(rule, labels, value, name)]
    if rule.signal == "estimated_metric":
        name = rule.metric or ""
        return [_compare(rule, {**base, "metric": name}, facts.estimated.get(name), f"estimated {name}")]
    if rule.signal == "metric_change":
        return [_change(rule, {**base, "metric": rule.metric or ""}, facts.changes.get(rule.name))]
    if rule.signal == "column_drift":
        return _column_drift(rule, base, facts)
    if rule.signal == "quality":
        return _quality(rule, base, facts)
    if rule.signal == "run_failed":
        return [_compare(rule, base, 1.0 if facts.run_failed else 0.0, "run failed")]
    if rule.signal == "weighted_drift_share":
        return [_compare(rule, base, facts.weighted_drift_share, "weighted drift share")]
    if rule.signal == "dataset_drift":
        return _dataset_drift(rule, base, facts)
    raise ValueError(f"unknown signal {rule.signal!r}")


def _threshold(rule: RuleSpec) -> float:
    return 1.0 if rule.threshold is None else rule.threshold


def _compare(rule: RuleSpec, labels: dict[str, str], value: float | None, subject: str) -> Observation:
    threshold = _threshold(rule)
    if value is None:
        return Observation(labels, None, threshold, rule.op, None, f"{subject}: no value in this window")
    hit = breached(value, rule.op, threshold)
    verdict = "breached" if hit else "ok"
    return Observation(
        labels,
        value,
        threshold,
        rule.op,
        hit,
        f"{subject} = {value:.4g} ({rule.op} {threshold:g}: {verdict})",
    )


def _change(rule: RuleSpec, labels: dict[str, str], fact: ChangeFact | None) -> Observation:
    if fact is None or fact.statistic is None:
        subject = fact.subject if fact else rule.metric or ""
        why = fact.reason if fact and fact.reason else "no series to watch"
        return Observation(labels, None, fact.threshold if fact else None, ">", None, f"{subject}: {why}")
    if fact.alarm and fact.began is not None:
        verdict = f"change ({fact.direction}) since the window of {fact.began:%Y-%m-%d %H:%M}"
    else:
        verdict = "no change"
    summary = (
        f"{fact.subject}: {rule.detector_name} {fact.statistic:.3g} (alarm above {fact.threshold:g}; "
        f"{fact.windows} windows): {verdict}"
    )
    since = (fact.began, fact.began_end) if fact.alarm and fact.began and fact.began_end else None
    return Observation(labels, fact.statistic, fact.threshold, ">", fact.alarm, summary, since)


def baseline_value(
    spec: BaselineSpec, history: Sequence[MetricPoint], before: datetime | None
) -> float | None:
    """Mean of the baseline windows' values, or None when fewer than `min_windows` have a value."""
    if spec.windows is not None:
        earlier = sorted(
            (p for p in history if before is None or p.window_end <= before), key=lambda p: p.window_end
        )
        chosen = earlier[-spec.windows :]
    else:
        assert spec.start is not None and spec.end is not None
        chosen = [p for p in history if p.window_start >= spec.start and p.window_end <= spec.end]
    if len(chosen) < spec.min_windows or not chosen:
        return None
    return sum(p.value for p in chosen) / len(chosen)


def baseline_threshold(spec: BaselineSpec, baseline: float) -> tuple[str, float]:
    """The (op, bound) a value breaches: below baseline minus the allowed drop, or above plus the rise."""
    if spec.max_drop is not None:
        return "<", baseline * (1 - spec.max_drop) if spec.relative else baseline - spec.max_drop
    assert spec.max_rise is not None
    return ">", baseline * (1 + spec.max_rise) if spec.relative else baseline + spec.max_rise


def _against_baseline(
    rule: RuleSpec, labels: dict[str, str], value: float | None, facts: WindowFacts
) -> Observation:
    spec = rule.baseline
    assert spec is not None
    name = rule.metric or ""
    base = baseline_value(spec, facts.metric_history.get(name, ()), facts.window_start)
    if base is None:
        return Observation(labels, value, None, "<", None, f"{name}: no baseline yet")
    op, bound = baseline_threshold(spec, base)
    if value is None:
        return Observation(labels, None, bound, op, None, f"{name}: no value in this window")
    hit = breached(value, op, bound)
    allowed = spec.max_drop if spec.max_drop is not None else spec.max_rise
    amount = f"{allowed:.0%}" if spec.relative else f"{allowed:g}"
    direction = "drop" if spec.max_drop is not None else "rise"
    summary = (
        f"{name} = {value:.4g} ({op} {bound:.4g}: {'breached' if hit else 'ok'}; "
        f"baseline {base:.4g}, allowed {direction} {amount})"
    )
    return Observation(labels, value, bound, op, hit, summary)


def _column_drift(rule: RuleSpec, base: dict[str, str], facts: WindowFacts) -> list[Observation]:
    if facts.column_tests:
        columns = [rule.column] if rule.column else sorted(facts.column_tests)
    else:
        columns = [rule.column] if rule.column else list(facts.judged_columns)
    threshold = _threshold(rule)
    observations = []
    for column in columns:
        if column is None:
            continue
        labels = {**base, "column": column, **({"test": rule.test} if rule.test else {})}
        tests = facts.column_tests.get(column, {})
        judged = {name: t for name, t in tests.items() if t.status == "ok"}
        if rule.test is not None:
            judged = {n: t for n, t in judged.items() if n == rule.test}
        if facts.column_tests:
            value = None if not judged else float(any(t.drifted for t in judged.values()))
        else:
            drifted, seen = column in facts.drifted_columns, column in facts.judged_columns
            value = 1.0 if drifted else 0.0 if seen else None
        if value is None:
            observations.append(
                Observation(labels, None, threshold, rule.op, None, f"{column}: not judged in this window")
            )
            continue
        hit = breached(value, rule.op, threshold)
        detail = "; ".join(describe_test(n, t) for n, t in sorted(judged.items()))
        summary = f"{column} {'drifted' if value >= 1 else 'did not drift'}" + (
            f" ({detail})" if detail else ""
        )
        observations.append(Observation(labels, value, threshold, rule.op, hit, summary))
    return observations


def describe_test(name: str, fact: TestFact) -> str:
    if fact.by_p_value and fact.p_value is not None:
        sign = "<" if fact.p_value < fact.threshold else ">="
        return f"{name} p={fact.p_value:.3g} {sign} {fact.threshold:g}"
    statistic = "n/a" if fact.statistic is None else f"{fact.statistic:.3g}"
    sign = ">=" if fact.drifted else "<"
    return f"{name} {statistic} {sign} {fact.threshold:g}"


def _quality(rule: RuleSpec, base: dict[str, str], facts: WindowFacts) -> list[Observation]:
    check = rule.check or ""
    findings = dict(facts.quality.get(check, {}))
    if check == "no_rows" and not findings:
        findings = {"": 1.0 if facts.row_count == 0 else 0.0}
    subjects = [rule.column] if rule.column else sorted(findings)
    observations = []
    for subject in subjects:
        if subject is None:
            continue
        labels = {**base, "check": check, **({"column": subject} if subject else {})}
        what = f"{check} of {subject}" if subject else check
        observations.append(_compare(rule, labels, findings.get(subject), what))
    return observations


def _dataset_drift(rule: RuleSpec, base: dict[str, str], facts: WindowFacts) -> list[Observation]:
    """1 when the multivariate test found drift, 0 when it did not; no value when it could not judge
    or was not run (the alert keeps its state). One series per test, or the rule's `test` alone."""
    names = [rule.test] if rule.test else sorted(facts.dataset_tests)
    observations = []
    for name in names:
        fact = facts.dataset_tests.get(name)
        value = None if fact is None or fact.status != "ok" else (1.0 if fact.drifted else 0.0)
        shown = "" if fact is None or fact.statistic is None else f" ({fact.statistic:.4g})"
        observations.append(_compare(rule, {**base, "test": name}, value, f"{name}{shown} drifted"))
    return observations
