from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm
from statsmodels.stats.proportion import proportions_ztest

from monitor.metrics.bootstrap import weighted_average_precision
from monitor.metrics.compare import COMPARABLE, compare_metric
from monitor.metrics.differences import LabelledRows
from monitor.metrics.health_compare import compare_health

Z95 = 1.959963984540054


def binary_rows(seed: int, n: int, shift: float) -> LabelledRows:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.clip(shift * y + rng.beta(2, 3, n), 0.001, 0.999)
    return LabelledRows(y, (score >= 0.5).astype(int), score)


@pytest.fixture
def pair() -> tuple[LabelledRows, LabelledRows]:
    return binary_rows(1, 600, 0.30), binary_rows(2, 450, 0.22)


def proportion_counts(metric: str, rows: LabelledRows) -> tuple[int, int]:
    """(successes, trials) of a proportion metric, by plain numpy on the rows it is defined on."""
    y, p = rows.y_true, rows.y_pred
    assert p is not None
    if metric == "accuracy":
        return int(np.sum(y == p)), len(y)
    if metric == "error_rate":
        return int(np.sum(y != p)), len(y)
    if metric == "precision":
        return int(np.sum((p == 1) & (y == 1))), int(np.sum(p == 1))
    return int(np.sum((p == 1) & (y == 1))), int(np.sum(y == 1))  # recall


@pytest.mark.parametrize("metric", ["accuracy", "error_rate", "precision", "recall"])
def test_proportions_against_statsmodels_and_a_hand_wald_interval(
    metric: str, pair: tuple[LabelledRows, LabelledRows]
) -> None:
    baseline, candidate = pair
    result = compare_metric(metric, baseline, candidate)
    (xb, nb), (xc, nc) = proportion_counts(metric, baseline), proportion_counts(metric, candidate)
    _, p_value = proportions_ztest([xc, xb], [nc, nb])  # pooled, two-sided
    pb, pc = xb / nb, xc / nc
    half = Z95 * math.sqrt(pb * (1 - pb) / nb + pc * (1 - pc) / nc)
    assert result.status == "ok" and (result.n_baseline, result.n_candidate) == (nb, nc)
    assert (result.baseline, result.candidate, result.difference) == pytest.approx(
        (pb, pc, pc - pb), abs=1e-12
    )
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((pc - pb - half, pc - pb + half), abs=1e-12)
    assert result.test.startswith("two-proportion")


def test_proportion_values_are_scikit_learns(pair: tuple[LabelledRows, LabelledRows]) -> None:
    baseline, candidate = pair
    for metric, function in (
        ("accuracy", skm.accuracy_score),
        ("precision", skm.precision_score),
        ("recall", skm.recall_score),
    ):
        result = compare_metric(metric, baseline, candidate)
        assert result.baseline == pytest.approx(function(baseline.y_true, baseline.y_pred), abs=1e-12)
        assert result.candidate == pytest.approx(function(candidate.y_true, candidate.y_pred), abs=1e-12)


def regression_rows(seed: int, n: int, noise: float) -> LabelledRows:
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 3, n)
    return LabelledRows(y, y + rng.standard_t(5, n) * noise, np.zeros(n))  # scores unused


@pytest.mark.parametrize("metric", ["mae", "log_loss", "brier"])
def test_mean_losses_against_scipys_welch(metric: str, pair: tuple[LabelledRows, LabelledRows]) -> None:
    if metric == "mae":
        baseline, candidate = regression_rows(3, 500, 1.0), regression_rows(4, 380, 1.2)
    else:
        baseline, candidate = pair
    result = compare_metric(metric, baseline, candidate)
    losses = []
    for rows in (baseline, candidate):
        y, p, s = rows.y_true, rows.y_pred, rows.score
        assert p is not None and s is not None
        if metric == "mae":
            losses.append(np.abs(y - p))
        elif metric == "brier":
            losses.append((s - y) ** 2)
        else:
            losses.append(-(y * np.log(s) + (1 - y) * np.log(1 - s)))
    welch = stats.ttest_ind(losses[1], losses[0], equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert result.p_value == pytest.approx(welch.pvalue, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert result.test == "Welch t"
    sk = {"mae": skm.mean_absolute_error, "log_loss": skm.log_loss, "brier": skm.brier_score_loss}[metric]
    first = (baseline.y_true, baseline.y_pred if metric == "mae" else baseline.score)
    second = (candidate.y_true, candidate.y_pred if metric == "mae" else candidate.score)
    assert (result.baseline, result.candidate) == pytest.approx((sk(*first), sk(*second)), abs=1e-12)


def midranks(values: list[float]) -> list[float]:
    """1-based ranks, tied values sharing the mean of their ranks, by a loop over the sorted values."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def delong_by_loops(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """AUC and DeLong's variance from placement values: a positive's share of negatives below it
    (ties half) is (its rank among all - its rank among positives) / n_negatives, and so on."""
    pos = [float(s) for s, t in zip(score, y, strict=True) if t == 1]
    neg = [float(s) for s, t in zip(score, y, strict=True) if t == 0]
    m, n = len(pos), len(neg)
    combined = midranks(pos + neg)
    within_pos, within_neg = midranks(pos), midranks(neg)
    v10 = [(combined[i] - within_pos[i]) / n for i in range(m)]
    v01 = [1 - (combined[m + j] - within_neg[j]) / m for j in range(n)]
    auc = sum(v10) / m

    def sample_variance(values: list[float]) -> float:
        mean = sum(values) / len(values)
        return sum((v - mean) ** 2 for v in values) / (len(values) - 1)

    return auc, sample_variance(v10) / m + sample_variance(v01) / n


def test_roc_auc_against_a_loop_based_delong_and_scikit_learn() -> None:
    sides = []
    for seed, n, shift in ((5, 400, 0.30), (6, 300, 0.15)):
        rows = binary_rows(seed, n, shift)
        assert rows.score is not None
        sides.append((rows.y_true, np.round(rows.score, 2)))  # rounded: ties within and across classes
    (yb, sb), (yc, sc) = sides
    result = compare_metric("roc_auc", LabelledRows(yb, None, sb), LabelledRows(yc, None, sc))
    (auc_b, var_b), (auc_c, var_c) = delong_by_loops(yb, sb), delong_by_loops(yc, sc)
    assert (auc_b, auc_c) == pytest.approx((skm.roc_auc_score(yb, sb), skm.roc_auc_score(yc, sc)), abs=1e-12)
    assert (result.baseline, result.candidate) == pytest.approx((auc_b, auc_c), abs=1e-12)
    se = math.sqrt(var_b + var_c)
    diff = auc_c - auc_b
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(diff) / se), rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((diff - Z95 * se, diff + Z95 * se), abs=1e-12)
    assert result.p_value is not None and result.p_value < 0.01  # a real drop of AUC is found


def test_rmse_delta_method_variance_matches_the_spread_of_simulated_differences() -> None:
    # Independent of the formula: the variance of RMSE_c - RMSE_b over many simulated pairs of samples,
    # against the delta-method variance the comparison reports (its interval's width), on average.
    rng = np.random.default_rng(7)
    differences, predicted, covered = [], [], 0
    true_difference = 1.5 * math.sqrt(5 / 3) - math.sqrt(5 / 3)  # t(5) errors: variance 5/3
    for _ in range(400):
        yb, yc = rng.normal(0, 1, 400), rng.normal(0, 1, 300)
        baseline = LabelledRows(yb, yb + rng.standard_t(5, 400))
        candidate = LabelledRows(yc, yc + 1.5 * rng.standard_t(5, 300))
        result = compare_metric("rmse", baseline, candidate)
        assert result.ci_low is not None and result.ci_high is not None and result.difference is not None
        assert result.candidate == pytest.approx(
            skm.root_mean_squared_error(candidate.y_true, candidate.y_pred)
        )
        differences.append(result.difference)
        predicted.append(((result.ci_high - result.ci_low) / (2 * Z95)) ** 2)
        covered += result.ci_low <= true_difference <= result.ci_high
    assert np.mean(predicted) == pytest.approx(np.var(differences), rel=0.2)
    assert 0.90 <= covered / 400 <= 0.99


def test_f1_and_pr_auc_are_a_seeded_bootstrap(pair: tuple[LabelledRows, LabelledRows]) -> None:
    baseline, candidate = pair
    f1 = compare_metric("f1", baseline, candidate)
    ap = compare_metric("pr_auc", baseline, candidate)
    assert f1.baseline == pytest.approx(skm.f1_score(baseline.y_true, baseline.y_pred), abs=1e-12)
    assert ap.candidate == pytest.approx(
        skm.average_precision_score(candidate.y_true, candidate.score), abs=1e-12
    )
    for result in (f1, ap):
        assert result.test == "bootstrap(2000, seed 0)"
        assert result.ci_low is not None and result.ci_high is not None and result.difference is not None
        assert result.ci_low < result.difference < result.ci_high
        assert compare_metric(result.metric, baseline, candidate) == result  # the seed makes it reproducible


def test_weighted_average_precision_is_scikit_learns_with_sample_weights() -> None:
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 300).astype(bool)
    scores = np.round(rng.random(300), 1)  # many ties
    weights = rng.integers(0, 3, size=(5, 300))  # resample counts, zeros included
    ours = weighted_average_precision(y, scores, weights)
    expected = [skm.average_precision_score(y, scores, sample_weight=w) for w in weights]
    assert ours == pytest.approx(expected, abs=1e-12)


def test_f1_bootstrap_interval_covers_the_true_difference() -> None:
    # Both versions flag every positive (TP = 0.5 per row, FN = 0); the baseline flags half the
    # negatives (FP = 0.25: F1 = 2 TP / (2 TP + FP) = 0.8), the candidate three quarters (FP = 0.375:
    # F1 = 8/11). The true difference is 8/11 - 0.8.
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(40):
        yb, yc = rng.integers(0, 2, 400), rng.integers(0, 2, 400)
        baseline = LabelledRows(yb, np.where(yb == 1, 1, rng.random(400) < 0.5).astype(int))
        candidate = LabelledRows(yc, np.where(yc == 1, 1, rng.random(400) < 0.75).astype(int))
        result = compare_metric("f1", baseline, candidate)
        assert result.ci_low is not None and result.ci_high is not None
        covered += result.ci_low <= 8 / 11 - 0.8 <= result.ci_high
    assert covered >= 34


def test_undefined_differences_say_why() -> None:
    ok = binary_rows(1, 100, 0.3)
    one_class = LabelledRows(np.ones(50), np.ones(50), np.linspace(0, 1, 50))
    never_positive = LabelledRows(ok.y_true, np.zeros(100), ok.score)
    assert compare_metric("roc_auc", ok, one_class).status == "single_class"
    assert compare_metric("precision", ok, never_positive).status == "no_predicted_positives"
    assert compare_metric("roc_auc", ok, LabelledRows(ok.y_true, ok.y_pred)).status == "no_scores"
    assert compare_metric("accuracy", ok, LabelledRows(np.array([1]), np.array([1]))).status == (
        "insufficient_data"
    )
    empty = compare_metric("log_loss", ok, LabelledRows(np.array([])))
    assert (empty.status, empty.p_value, empty.n_candidate) == ("no_labels", None, 0)
    with pytest.raises(ValueError, match=r"comparable metrics: .*roc_auc"):
        compare_metric("r2", ok, ok)
    assert set(COMPARABLE) >= {"accuracy", "f1", "pr_auc", "rmse"}


def test_health_error_rate_and_latency_quantiles() -> None:
    rng = np.random.default_rng(12)
    nb, nc = 3000, 2000
    baseline = pd.DataFrame(
        {"ms": rng.exponential(40, nb), "status": rng.choice([200, 500], nb, p=[0.98, 0.02])}
    )
    candidate = pd.DataFrame(
        {"ms": rng.exponential(50, nc), "status": rng.choice([200, 500], nc, p=[0.95, 0.05])}
    )
    error, p95, p99 = compare_health(
        baseline, candidate, latency_column="ms", error_column="status", error_values=[500]
    )
    xb, xc = int((baseline["status"] == 500).sum()), int((candidate["status"] == 500).sum())
    assert error.p_value == pytest.approx(proportions_ztest([xc, xb], [nc, nb])[1], rel=1e-9)
    assert error.difference == pytest.approx(xc / nc - xb / nb, abs=1e-12)
    assert p95.baseline == pytest.approx(np.percentile(baseline["ms"], 95), abs=1e-9)
    assert p99.candidate == pytest.approx(np.percentile(candidate["ms"], 99), abs=1e-9)
    assert p95.p_value == pytest.approx(stats.mannwhitneyu(candidate["ms"], baseline["ms"]).pvalue)
    # The bootstrap interval's width against the asymptotic standard error of a sample quantile,
    # sqrt(q (1 - q) / n) / f(x_q); for an exponential of mean s, f(x_q) = (1 - q) / s.
    se = math.sqrt(sum(s**2 * 0.95 / (0.05 * n) for s, n in ((40, nb), (50, nc))))
    assert p95.ci_low is not None and p95.ci_high is not None
    assert (p95.ci_high - p95.ci_low) / 2 == pytest.approx(Z95 * se, rel=0.3)
    assert p95.ci_low <= (50 - 40) * -math.log(0.05) <= p95.ci_high  # the true difference of p95
