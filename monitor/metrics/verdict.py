"""The canary gate: `pass`, `fail` or `inconclusive` for a candidate version against a baseline, from
their prediction-log rows, valid however often it is asked as the canary's data grow.

One check per criterion, each `pass`, `fail` or `inconclusive`; the verdict is `fail` if any check
fails, else `inconclusive` if any is, else `pass`. A check is inconclusive while either side has fewer
than `min_rows` rows (for the error rate: rows whose error status is known; for latency: latency
values), or, for a metric, fewer than `min_labels` labelled rows the metric is computed on (precision:
predicted positives; recall: actual positives), or while the metric is undefined (one class only...).

Statistical checks, valid under continuous monitoring (sequential.py, Johari et al.'s mSPRT):
- a metric's allowed drop (`max_drop`, in the metric's units; worsening is a fall of accuracy,
  precision, recall and roc_auc, a rise of error_rate, mae, rmse, log_loss and brier). The worsening
  and its variance come from differences.py (Wald, Welch, the delta method for rmse, DeLong for
  roc_auc, the last asymptotic); the check FAILS only when the whole always-valid interval of the
  worsening lies above the allowed drop, and passes otherwise: `pass` means "not shown to be worse
  than allowed", not "shown to be as good";
- `max_error_rate`: fails when the always-valid lower bound of the candidate's serving error rate
  (the error column, serving.py's rules) exceeds it.
alpha is split equally across these checks (Bonferroni), each using alpha / k, so the probability
that a candidate within every limit is EVER failed by them, over any number of looks, is at most
alpha (asymptotically: plug-in variances, normal approximations). The interval shown is at
1 - alpha / k. The one-sided decision on a two-sided interval is conservative.

tau, the mixing scale of the mSPRT, defaults to each criterion's own limit (the allowed drop; the
maximum error rate): the test is tuned to find worsenings of the size the user said matters. A limit
of 0 needs an explicit tau. `tau` may be one number (for criteria on one scale) or a mapping from
criterion name (a metric, or "max_error_rate") to its tau; it must be chosen before the data are seen.

Hard limits, NOT covered by alpha (judged on the observed values once min_rows is met; asked at every
look they fail a candidate sitting near the limit by chance sooner or later): the candidate's p99
latency (`max_p99_latency_ms`, numpy's percentile), and the share of features drifted between the
baseline's and the candidate's inputs (`max_drift_share`, the drift engine with `criteria.drift`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift import DriftOptions, Status, build_profile, compare_datasets
from monitor.metrics import sequential
from monitor.metrics.differences import (
    LOWER_IS_BETTER,
    NORMAL_METRICS,
    LabelledRows,
    Undefined,
    estimate_difference,
    worsening,
)
from monitor.metrics.serving import error_flags, numeric_values

SUPPORTED_METRICS: tuple[str, ...] = NORMAL_METRICS
PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"
ERROR_RATE_CHECK = "max_error_rate"
_NEEDS_SCORE = frozenset({"roc_auc", "log_loss", "brier"})


@dataclass(frozen=True)
class CanaryColumns:
    """The prediction log's columns the gate reads (None: not logged)."""

    features: tuple[str, ...] = ()
    prediction: str | None = None
    score: str | None = None  # probability of the positive label
    label: str | None = None  # the joined label; missing (NaN/None): not labelled yet
    latency: str | None = None  # milliseconds
    error: str | None = None  # an error flag, or a status with error_values
    error_values: tuple[object, ...] | None = None
    positive_label: object = 1


@dataclass(frozen=True)
class CanaryCriteria:
    alpha: float = 0.05
    min_rows: int = 200  # each side
    min_labels: int = 100  # each side, for metric criteria
    max_drop: Mapping[str, float] = field(default_factory=dict)  # metric -> allowed worsening
    max_error_rate: float | None = None  # the candidate's serving error rate
    max_p99_latency_ms: float | None = None
    max_drift_share: float | None = None
    tau: float | Mapping[str, float] | None = None  # None: each criterion's limit
    drift: DriftOptions = field(default_factory=DriftOptions)  # `include` is set to the features

    def __post_init__(self) -> None:
        problems = _criteria_problems(self)
        if problems:
            raise ValueError("invalid canary criteria: " + "; ".join(problems))

    def statistical(self) -> tuple[str, ...]:
        """The criteria alpha is split across."""
        return (*self.max_drop, *((ERROR_RATE_CHECK,) if self.max_error_rate is not None else ()))

    def tau_for(self, name: str, limit: float) -> float:
        if isinstance(self.tau, Mapping):
            return self.tau.get(name, limit)
        return self.tau if self.tau is not None else limit


def _criteria_problems(c: CanaryCriteria) -> list[str]:
    problems = []
    if not 0.0 < c.alpha < 1.0:
        problems.append(f"alpha must be in (0, 1), got {c.alpha}")
    if c.min_rows < 2 or c.min_labels < 2:
        problems.append("min_rows and min_labels must be at least 2")
    unknown = [m for m in c.max_drop if m not in SUPPORTED_METRICS]
    if unknown:
        problems.append(
            f"unsupported metric(s) {', '.join(unknown)}; supported: {', '.join(SUPPORTED_METRICS)}"
        )
    limits = {**c.max_drop, **({ERROR_RATE_CHECK: c.max_error_rate} if c.max_error_rate is not None else {})}
    for name, limit in limits.items():
        if not (math.isfinite(limit) and limit >= 0):
            problems.append(f"the limit of {name} must be a number >= 0, got {limit}")
        elif not c.tau_for(name, limit) > 0:
            problems.append(
                f"{name} has a limit of 0: give a tau > 0 for it (the worsening to detect fastest)"
            )
    if isinstance(c.tau, Mapping) and set(c.tau) - set(limits):
        problems.append(
            f"tau given for {', '.join(sorted(set(c.tau) - set(limits)))}, which no criterion names"
        )
    if c.max_error_rate is not None and c.max_error_rate > 1:
        problems.append(f"max_error_rate must be at most 1, got {c.max_error_rate}")
    if c.max_drift_share is not None and not 0 <= c.max_drift_share <= 1:
        problems.append(f"max_drift_share must be in [0, 1], got {c.max_drift_share}")
    if c.max_p99_latency_ms is not None and not c.max_p99_latency_ms > 0:
        problems.append(f"max_p99_latency_ms must be positive, got {c.max_p99_latency_ms}")
    return problems


@dataclass(frozen=True)
class Check:
    """One criterion's judgement."""

    name: str  # a metric, max_error_rate, max_p99_latency_ms or max_drift_share
    status: str  # pass, fail or inconclusive
    reason: str
    bound: float | None = None  # the allowed drop, or the limit
    observed: Mapping[str, float | None] = field(default_factory=dict)
    interval: tuple[float, float] | None = None  # always-valid, of the worsening (or error rate)
    n_baseline: int = 0
    n_candidate: int = 0
    alpha: float | None = None  # this check's share of alpha (statistical checks only)
    tau: float | None = None
    columns: tuple[str, ...] = ()  # the drifted features

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = _json(asdict(self))
        return document


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reasons: tuple[str, ...]
    checks: tuple[Check, ...]
    alpha: float

    def to_json(self) -> dict[str, Any]:
        """{"verdict", "reasons", "alpha", "checks"}: JSON-ready (NaN becomes None)."""
        return {
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "alpha": self.alpha,
            "checks": [check.to_json() for check in self.checks],
        }


def _json(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _level(alpha: float) -> str:
    return f"{100 * (1 - alpha):.4g}%"


@dataclass(frozen=True)
class _Context:
    baseline: pd.DataFrame
    candidate: pd.DataFrame
    columns: CanaryColumns
    criteria: CanaryCriteria
    alpha_each: float

    def too_few(self, name: str, n_b: int, n_c: int, minimum: int, what: str, bound: float) -> Check | None:
        """An inconclusive check when a side has fewer than `minimum` of `what`."""
        short = [
            f"{n} {what} in the {side}" for n, side in ((n_b, "baseline"), (n_c, "candidate")) if n < minimum
        ]
        if not short:
            return None
        reason = f"{name}: {' and '.join(short)}, fewer than the {minimum} needed"
        return Check(name, INCONCLUSIVE, reason, bound, n_baseline=n_b, n_candidate=n_c)


def _labelled(frame: pd.DataFrame, columns: CanaryColumns) -> LabelledRows:
    assert columns.label is not None
    labelled = frame[frame[columns.label].notna()]
    y_pred = labelled[columns.prediction].to_numpy() if columns.prediction is not None else None
    score = None
    if columns.score is not None:
        score = pd.to_numeric(labelled[columns.score], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return LabelledRows(labelled[columns.label].to_numpy(), y_pred, score)


def _bounded(ctx: _Context, name: str, what: str, estimate: float, variance: float, limit: float) -> Check:
    """A statistical check: fails when the always-valid interval of `estimate` lies above `limit`."""
    tau = ctx.criteria.tau_for(name, limit)
    low, high = sequential.always_valid_interval(estimate, variance, alpha=ctx.alpha_each, tau=tau)
    failed = low > limit
    interval = f"always-valid {_level(ctx.alpha_each)} interval {_fmt(low)}..{_fmt(high)}"
    verdict = f"> allowed {limit:g}" if failed else f"not shown to exceed the allowed {limit:g}"
    reason = f"{what} {_fmt(estimate)} ({interval}) {verdict}"
    return Check(
        name, FAIL if failed else PASS, reason, limit, interval=(low, high), alpha=ctx.alpha_each, tau=tau
    )


def _metric_check(ctx: _Context, metric: str, allowed: float) -> Check:
    rows = ctx.too_few(metric, len(ctx.baseline), len(ctx.candidate), ctx.criteria.min_rows, "rows", allowed)
    if rows is not None:
        return rows
    baseline, candidate = _labelled(ctx.baseline, ctx.columns), _labelled(ctx.candidate, ctx.columns)
    labels = ctx.too_few(
        metric, len(baseline), len(candidate), ctx.criteria.min_labels, "labelled rows", allowed
    )
    if labels is not None:
        return labels
    try:
        est = estimate_difference(metric, baseline, candidate, positive_label=ctx.columns.positive_label)
    except Undefined as why:
        reason = f"{metric} cannot be computed yet: {why.status}"
        return Check(
            metric, INCONCLUSIVE, reason, allowed, n_baseline=len(baseline), n_candidate=len(candidate)
        )
    what = f"rows to compute {metric} on"
    used = ctx.too_few(metric, est.n_baseline, est.n_candidate, ctx.criteria.min_labels, what, allowed)
    if used is not None:
        return used
    worse, variance = worsening(metric, est)
    verb = "rose" if metric in LOWER_IS_BETTER else "dropped"
    check = _bounded(ctx, metric, f"{metric} {verb} by", worse, variance, allowed)
    observed = {"baseline": est.baseline, "candidate": est.candidate, "worsening": worse}
    return replace(check, observed=observed, n_baseline=est.n_baseline, n_candidate=est.n_candidate)


def _known_errors(frame: pd.DataFrame, columns: CanaryColumns) -> np.ndarray:
    assert columns.error is not None
    flags = error_flags(frame[columns.error], columns.error_values)
    known: np.ndarray = flags[~np.isnan(flags)]
    return known


def _error_rate_check(ctx: _Context, limit: float) -> Check:
    name = ERROR_RATE_CHECK
    baseline, candidate = _known_errors(ctx.baseline, ctx.columns), _known_errors(ctx.candidate, ctx.columns)
    what = "rows with an error status"
    rows = ctx.too_few(name, len(baseline), len(candidate), ctx.criteria.min_rows, what, limit)
    if rows is not None:
        return rows
    rate = float(candidate.mean())
    check = _bounded(ctx, name, "candidate error rate", rate, rate * (1 - rate) / len(candidate), limit)
    observed = {"baseline": float(baseline.mean()), "candidate": rate}
    return replace(check, observed=observed, n_baseline=len(baseline), n_candidate=len(candidate))


def _latency_check(ctx: _Context, limit: float) -> Check:
    name = "max_p99_latency_ms"
    assert ctx.columns.latency is not None
    baseline, candidate = (numeric_values(f[ctx.columns.latency]) for f in (ctx.baseline, ctx.candidate))
    rows = ctx.too_few(name, len(baseline), len(candidate), ctx.criteria.min_rows, "latency values", limit)
    if rows is not None:
        return rows
    p99_b, p99_c = float(np.percentile(baseline, 99)), float(np.percentile(candidate, 99))
    failed = p99_c > limit
    verdict = f"above the limit {limit:g} ms" if failed else f"within the limit {limit:g} ms"
    reason = f"candidate p99 latency {_fmt(p99_c)} ms (baseline {_fmt(p99_b)} ms) {verdict}"
    observed = {"baseline": p99_b, "candidate": p99_c}
    return Check(name, FAIL if failed else PASS, reason, limit, observed, None, len(baseline), len(candidate))


def _drift_check(ctx: _Context, limit: float) -> Check:
    name = "max_drift_share"
    rows = ctx.too_few(name, len(ctx.baseline), len(ctx.candidate), ctx.criteria.min_rows, "rows", limit)
    if rows is not None:
        return rows
    features = list(ctx.columns.features)
    options = replace(ctx.criteria.drift, include=tuple(features))
    profile = build_profile(ctx.baseline[features], options)
    drift = compare_datasets(profile, ctx.candidate[features], options)
    sizes = (len(ctx.baseline), len(ctx.candidate))
    if not any(result.status is Status.OK for result in drift.results):
        return Check(name, INCONCLUSIVE, "no feature could be judged for drift", limit, {}, None, *sizes)
    failed = drift.drift_share > limit
    drifted = ", ".join(drift.drifted_columns) or "none"
    verdict = f"above the limit {limit:g}" if failed else f"within the limit {limit:g}"
    reason = f"{_fmt(drift.drift_share)} of the features drifted from the baseline ({drifted}), {verdict}"
    status = FAIL if failed else PASS
    observed = {"drift_share": drift.drift_share}
    return Check(name, status, reason, limit, observed, None, *sizes, columns=drift.drifted_columns)


def _needed_columns(columns: CanaryColumns, criteria: CanaryCriteria) -> list[str]:
    """The columns the criteria read; a criterion whose column is not configured is a ValueError."""
    needs: dict[str, str | None] = {}
    for metric in criteria.max_drop:
        needs[f"max_drop.{metric}: label"] = columns.label
        if metric in _NEEDS_SCORE:
            needs[f"max_drop.{metric}: score"] = columns.score
        else:
            needs[f"max_drop.{metric}: prediction"] = columns.prediction
    if criteria.max_error_rate is not None:
        needs["max_error_rate: error"] = columns.error
    if criteria.max_p99_latency_ms is not None:
        needs["max_p99_latency_ms: latency"] = columns.latency
    missing = [what for what, column in needs.items() if column is None]
    if criteria.max_drift_share is not None and not columns.features:
        missing.append("max_drift_share: features")
    if missing:
        raise ValueError(f"the canary criteria need columns that are not configured: {'; '.join(missing)}")
    named = [c for c in needs.values() if c is not None]
    return list(dict.fromkeys([*named, *(columns.features if criteria.max_drift_share is not None else ())]))


def _check_frames(baseline: pd.DataFrame, candidate: pd.DataFrame, needed: list[str]) -> None:
    for side, frame in (("baseline", baseline), ("candidate", candidate)):
        absent = [c for c in needed if c not in frame.columns]
        if absent:
            raise ValueError(f"the {side} rows lack the column(s) {', '.join(absent)}")


def _decide(checks: list[Check]) -> tuple[str, tuple[str, ...]]:
    for status in (FAIL, INCONCLUSIVE):
        reasons = tuple(check.reason for check in checks if check.status == status)
        if reasons:
            return status, reasons
    return PASS, tuple(check.reason for check in checks)


def canary_verdict(
    baseline: pd.DataFrame, candidate: pd.DataFrame, columns: CanaryColumns, criteria: CanaryCriteria
) -> Verdict:
    """Judge the candidate's rows against the baseline's (module docstring). The reasons are those of
    the failing checks, else of the inconclusive ones, else of all. No criterion at all, a criterion
    whose column is not configured, or a configured column missing from the rows is a ValueError."""
    statistical = criteria.statistical()
    if not statistical and criteria.max_p99_latency_ms is None and criteria.max_drift_share is None:
        raise ValueError("the canary criteria set no limit: nothing to judge")
    _check_frames(baseline, candidate, _needed_columns(columns, criteria))
    ctx = _Context(baseline, candidate, columns, criteria, criteria.alpha / max(len(statistical), 1))
    checks = [_metric_check(ctx, metric, allowed) for metric, allowed in criteria.max_drop.items()]
    if criteria.max_error_rate is not None:
        checks.append(_error_rate_check(ctx, criteria.max_error_rate))
    if criteria.max_p99_latency_ms is not None:
        checks.append(_latency_check(ctx, criteria.max_p99_latency_ms))
    if criteria.max_drift_share is not None:
        checks.append(_drift_check(ctx, criteria.max_drift_share))
    verdict, reasons = _decide(checks)
    return Verdict(verdict, reasons, tuple(checks), criteria.alpha)
