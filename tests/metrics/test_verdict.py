from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn import metrics as skm

from monitor.metrics.verdict import CanaryColumns, CanaryCriteria, canary_verdict

COLUMNS = CanaryColumns(
    features=("x1", "x2"),
    prediction="prediction",
    score="score",
    label="label",
    latency="latency_ms",
    error="status",
    error_values=(500, 503),
)


def canary_rows(
    seed: int,
    n: int,
    *,
    separation: float = 1.5,  # ROC AUC = Phi(separation / sqrt 2): 1.5 -> 0.86, 0.75 -> 0.70
    error_rate: float = 0.02,
    latency_scale: float = 40.0,
    x1_shift: float = 0.0,
    labelled: float = 1.0,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    score = expit(rng.normal(separation * y, 1.0) - separation / 2)
    label = np.where(rng.random(n) < labelled, y, np.nan)
    return pd.DataFrame(
        {
            "x1": rng.normal(x1_shift, 1.0, n),
            "x2": rng.choice(["a", "b", "c"], n),
            "label": label,
            "score": score,
            "prediction": (score >= 0.5).astype(int),
            "latency_ms": rng.exponential(latency_scale, n),
            "status": np.where(rng.random(n) < error_rate, 500, 200),
        }
    )


def half_width(variance: float, alpha: float, tau: float) -> float:
    """Johari et al.'s boundary, written out here rather than imported."""
    return math.sqrt(
        2
        * variance
        * (variance + tau**2)
        / tau**2
        * math.log(math.sqrt((variance + tau**2) / variance) / alpha)
    )


def delong(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    pos, neg = score[y == 1], score[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    return float(psi.mean()), psi.mean(axis=1).var(ddof=1) / len(pos) + psi.mean(axis=0).var(ddof=1) / len(
        neg
    )


def test_a_bad_canary_fails_with_reasons_naming_the_criteria() -> None:
    baseline = canary_rows(1, 3000)
    candidate = canary_rows(2, 3000, separation=0.75, error_rate=0.08)
    criteria = CanaryCriteria(max_drop={"roc_auc": 0.02, "accuracy": 0.02}, max_error_rate=0.04)
    verdict = canary_verdict(baseline, candidate, COLUMNS, criteria)
    assert verdict.verdict == "fail"
    checks = {check.name: check for check in verdict.checks}
    assert checks["roc_auc"].status == "fail" and checks["max_error_rate"].status == "fail"
    assert any(r.startswith("roc_auc dropped by") and "> allowed 0.02" in r for r in verdict.reasons)
    assert any(r.startswith("candidate error rate") for r in verdict.reasons)
    assert all(check.alpha == pytest.approx(0.05 / 3) for check in verdict.checks)  # Bonferroni over 3
    assert "98.33% interval" in checks["roc_auc"].reason
    # The AUC check's interval, computed independently: DeLong pair by pair, tau = the allowed drop.
    auc_b, var_b = delong(baseline["label"].to_numpy(), baseline["score"].to_numpy())
    auc_c, var_c = delong(candidate["label"].to_numpy(), candidate["score"].to_numpy())
    assert auc_b == pytest.approx(skm.roc_auc_score(baseline["label"], baseline["score"]))
    half = half_width(var_b + var_c, 0.05 / 3, 0.02)
    assert checks["roc_auc"].interval == pytest.approx((auc_b - auc_c - half, auc_b - auc_c + half), abs=1e-9)
    # The error-rate check's interval from the counts: the candidate's rate, Wald variance.
    rate = float((candidate["status"] == 500).mean())
    half = half_width(rate * (1 - rate) / 3000, 0.05 / 3, 0.04)
    assert checks["max_error_rate"].interval == pytest.approx((rate - half, rate + half), abs=1e-12)
    lower_bound = checks["max_error_rate"].interval
    assert lower_bound is not None and lower_bound[0] > 0.04


def test_the_accuracy_check_matches_the_two_proportion_boundary_at_each_look() -> None:
    # The sequential simulation (test_sequential.py) judges counts with the same boundary; here the
    # gate itself, look after look, gives the interval computed from the counts by hand.
    baseline, candidate = canary_rows(3, 2000), canary_rows(4, 2000, separation=1.2)
    criteria = CanaryCriteria(max_drop={"accuracy": 0.01})
    for n in (200, 700, 1300, 2000):
        b, c = baseline.iloc[:n], candidate.iloc[:n]
        (check,) = canary_verdict(b, c, COLUMNS, criteria).checks
        pb, pc = (float((f["prediction"] == f["label"]).mean()) for f in (b, c))
        half = half_width(pb * (1 - pb) / n + pc * (1 - pc) / n, 0.05, 0.01)
        assert check.interval == pytest.approx((pb - pc - half, pb - pc + half), abs=1e-12)
        assert check.status == ("fail" if pb - pc - half > 0.01 else "pass")
        assert check.observed["worsening"] == pytest.approx(pb - pc)


def test_an_equal_canary_passes_at_every_look() -> None:
    baseline, candidate = canary_rows(5, 4000), canary_rows(6, 4000)
    criteria = CanaryCriteria(
        max_drop={"accuracy": 0.02, "roc_auc": 0.02, "log_loss": 0.05, "brier": 0.02},
        max_error_rate=0.04,
        max_p99_latency_ms=400.0,
        max_drift_share=0.5,
    )
    for n in range(400, 4001, 400):
        verdict = canary_verdict(baseline.iloc[:n], candidate.iloc[:n], COLUMNS, criteria)
        assert verdict.verdict == "pass", verdict.reasons
        assert len(verdict.reasons) == len(verdict.checks) == 7  # a pass lists every check's reason
    # The always-valid intervals hold the truth: no worsening, and the error rate of 0.02.
    truths = {"accuracy": 0.0, "roc_auc": 0.0, "log_loss": 0.0, "brier": 0.0, "max_error_rate": 0.02}
    for check in verdict.checks:
        if check.name in truths:
            assert check.interval is not None and check.interval[0] <= truths[check.name] <= check.interval[1]


def test_inconclusive_below_the_minimum_rows() -> None:
    criteria = CanaryCriteria(max_drop={"accuracy": 0.02}, max_error_rate=0.05, max_p99_latency_ms=500.0)
    verdict = canary_verdict(canary_rows(7, 1000), canary_rows(8, 150), COLUMNS, criteria)
    assert verdict.verdict == "inconclusive"
    assert [check.status for check in verdict.checks] == ["inconclusive"] * 3
    assert [check.bound for check in verdict.checks] == [0.02, 0.05, 500.0]
    assert "accuracy: 150 rows in the candidate, fewer than the 200 needed" in verdict.reasons


def test_inconclusive_below_the_minimum_labels() -> None:
    # Enough rows, but the candidate's labels have not arrived yet: only about 5% are labelled.
    candidate = canary_rows(10, 1000, labelled=0.05)
    criteria = CanaryCriteria(max_drop={"roc_auc": 0.02}, max_error_rate=0.05)
    verdict = canary_verdict(canary_rows(9, 1000), candidate, COLUMNS, criteria)
    labelled = int(candidate["label"].notna().sum())
    assert verdict.verdict == "inconclusive"
    assert verdict.reasons == (
        f"roc_auc: {labelled} labelled rows in the candidate, fewer than the 100 needed",
    )
    assert [check.status for check in verdict.checks] == ["inconclusive", "pass"]


def test_p99_latency_limit() -> None:
    baseline, slow = canary_rows(11, 1000), canary_rows(12, 1000, latency_scale=120.0)
    criteria = CanaryCriteria(max_p99_latency_ms=400.0)
    verdict = canary_verdict(baseline, slow, COLUMNS, criteria)
    (check,) = verdict.checks
    assert check.observed["candidate"] == pytest.approx(np.percentile(slow["latency_ms"], 99), abs=1e-9)
    assert (check.observed["candidate"] or 0) > 400 > np.percentile(baseline["latency_ms"], 99)
    assert verdict.verdict == "fail" and "p99 latency" in verdict.reasons[0]
    assert canary_verdict(baseline, canary_rows(13, 1000), COLUMNS, criteria).verdict == "pass"


def test_drift_share_limit_with_a_shifted_feature() -> None:
    baseline = canary_rows(14, 1000)
    criteria = CanaryCriteria(max_drift_share=0.3)
    shifted = canary_verdict(baseline, canary_rows(15, 1000, x1_shift=0.5), COLUMNS, criteria)
    assert shifted.verdict == "fail"
    (check,) = shifted.checks
    assert check.columns == ("x1",) and check.observed["drift_share"] == 0.5
    assert "(x1)" in shifted.reasons[0]
    assert canary_verdict(baseline, canary_rows(16, 1000), COLUMNS, criteria).verdict == "pass"


def test_regression_losses_rise() -> None:
    rng = np.random.default_rng(17)
    columns = CanaryColumns(prediction="predicted", label="actual")

    def rows(noise: float) -> pd.DataFrame:
        actual = rng.normal(100, 10, 800)
        return pd.DataFrame({"actual": actual, "predicted": actual + rng.normal(0, noise, 800)})

    criteria = CanaryCriteria(max_drop={"mae": 0.5, "rmse": 0.5})
    worse = canary_verdict(rows(3.0), rows(4.5), columns, criteria)
    assert worse.verdict == "fail" and all(r.split()[1] == "rose" for r in worse.reasons)
    assert canary_verdict(rows(3.0), rows(3.0), columns, criteria).verdict == "pass"


def test_to_json_is_plain_json() -> None:
    criteria = CanaryCriteria(max_drop={"accuracy": 0.02}, max_drift_share=0.5)
    verdict = canary_verdict(canary_rows(18, 500), canary_rows(19, 500), COLUMNS, criteria)
    document = json.loads(json.dumps(verdict.to_json(), allow_nan=False))
    assert document["verdict"] == "pass" and len(document["reasons"]) == 2
    assert document["checks"][0]["name"] == "accuracy" and len(document["checks"][0]["interval"]) == 2


def test_bad_criteria_and_columns_are_errors() -> None:
    rows = canary_rows(20, 300)
    with pytest.raises(ValueError, match=r"unsupported metric\(s\) f1; supported: accuracy, precision"):
        CanaryCriteria(max_drop={"f1": 0.02})
    with pytest.raises(ValueError, match="give a tau"):
        CanaryCriteria(max_drop={"accuracy": 0.0})
    assert CanaryCriteria(max_drop={"accuracy": 0.0}, tau=0.01).tau_for("accuracy", 0.0) == 0.01
    with pytest.raises(ValueError, match="tau given for acuracy"):
        CanaryCriteria(max_drop={"accuracy": 0.02}, tau={"acuracy": 0.01})
    with pytest.raises(ValueError, match="alpha"):
        CanaryCriteria(alpha=1.5, max_error_rate=0.1)
    with pytest.raises(ValueError, match="nothing to judge"):
        canary_verdict(rows, rows, COLUMNS, CanaryCriteria())
    with pytest.raises(ValueError, match=r"max_drop\.roc_auc: score"):
        canary_verdict(rows, rows, CanaryColumns(label="label"), CanaryCriteria(max_drop={"roc_auc": 0.02}))
    with pytest.raises(ValueError, match="candidate rows lack the column"):
        canary_verdict(rows, rows.drop(columns="status"), COLUMNS, CanaryCriteria(max_error_rate=0.1))


def test_equal_canaries_judged_by_the_gate_at_every_look_rarely_fail() -> None:
    # End to end through canary_verdict (test_sequential.py measures the boundary on 4,000 replicates;
    # this costs a few ms a call, so 100 replicates x 10 looks): three criteria each exactly at its
    # limit (no drop allowed; the true error rate equal to the limit) and alpha split across them.
    criteria = CanaryCriteria(
        max_drop={"accuracy": 0.0, "roc_auc": 0.0},
        max_error_rate=0.02,
        tau={"accuracy": 0.02, "roc_auc": 0.02, "max_error_rate": 0.02},
    )
    replicates, ever_failed = 100, 0
    for replicate in range(replicates):
        baseline, candidate = canary_rows(1000 + replicate, 5000), canary_rows(5000 + replicate, 5000)
        looks = (
            canary_verdict(baseline.iloc[:n], candidate.iloc[:n], COLUMNS, criteria)
            for n in range(500, 5001, 500)
        )
        ever_failed += any(verdict.verdict == "fail" for verdict in looks)
    print(f"gate end to end: {ever_failed} of {replicates} equal canaries ever failed over 10 looks")
    assert ever_failed / replicates <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / replicates)
