"""CBPE and DLE against independent computations: scikit-learn's metrics on labels drawn from the
probabilities the estimates assume, and simulated windows of a model whose performance shifts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score

from monitor.metrics.calibration import Calibration, expected_calibration_error, fit_calibration
from monitor.metrics.estimation import (
    BINARY_ESTIMABLE,
    BinaryRows,
    EstimatedMetric,
    estimate_binary,
    estimate_binary_rows,
)
from monitor.metrics.loss_estimation import estimate_regression, fit_loss_estimator

WINDOWS = 200
ROWS = 1000


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


IDENTITY = Calibration((), (), applied=False, raw_ece=0.0, calibrated_ece=0.0, max_ece=0.05, reference_rows=0)


def test_the_calibration_map_is_scikit_learns_isotonic_regression() -> None:
    rng = np.random.default_rng(1)
    scores = rng.uniform(0, 1, 3000)
    truth = rng.random(3000) < scores**2  # overconfident scores
    found = fit_calibration(truth, scores)
    model = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(scores, truth)
    probe = np.concatenate([rng.uniform(-0.2, 1.2, 500), scores[:50]])
    assert found.applied
    expected = model.predict(probe)
    inner = (expected > 0) & (expected < 1)
    np.testing.assert_allclose(found.apply(probe)[inner], expected[inner], atol=1e-12)
    # Where the reference shows only positives (n of them), the map says (n + 1/2) / (n + 1), not 1.
    top = int(np.sum(model.predict(scores) == 1.0))
    assert top > 10
    assert found.apply(np.array([1.0]))[0] == pytest.approx((top + 0.5) / (top + 1))


def test_expected_calibration_error_by_hand() -> None:
    # Two bins of two rows: |0.5 - 0.15| and |1.0 - 0.85|, each half the rows.
    ece = expected_calibration_error(np.array([0, 1, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]), bins=2)
    assert ece == pytest.approx(0.5 * 0.35 + 0.5 * 0.15)


def _window(rng: np.random.Generator, n: int, centre: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(centre, 1.0, n)
    return sigmoid(2.5 * x), x


def test_estimates_and_sampling_errors_match_labels_drawn_from_the_probabilities() -> None:
    """With the scores taken as they are (calibrated), the estimate is the mean of the realised
    metric over labels drawn from them, and the sampling error its standard deviation."""
    rng = np.random.default_rng(2)
    scores, _ = _window(rng, 600, 0.4)
    predicted = scores >= 0.5
    got = {e.metric: e for e in estimate_binary(BINARY_ESTIMABLE, IDENTITY, scores, predicted)}
    draws = rng.random((2000, len(scores))) < scores
    tp, fp = (draws & predicted).sum(1), (~draws & predicted).sum(1)
    fn = (draws & ~predicted).sum(1)
    realised = {
        "accuracy": (draws == predicted).mean(1),
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "f1": 2 * tp / (2 * tp + fp + fn),
        "roc_auc": np.array([roc_auc_score(y, scores) for y in draws[:400]]),
        "brier": ((scores - draws) ** 2).mean(1),
        "log_loss": -np.where(draws, np.log(scores), np.log1p(-scores)).mean(1),
    }
    for name, values in realised.items():
        estimate = got[name]
        assert estimate.status == "ok" and estimate.value is not None and estimate.sampling_error
        assert estimate.value == pytest.approx(values.mean(), abs=0.25 * values.std()), name
        assert estimate.sampling_error == pytest.approx(values.std(), rel=0.1), name
        assert estimate.lower == pytest.approx(max(0, estimate.value - 3 * estimate.sampling_error))


def _shifting_model(seed: int, steepness: float) -> dict[str, np.ndarray]:
    """200 windows of 1,000 rows; the truth is P(y | x) = sigmoid(2.5 x); the model's score is
    sigmoid(steepness * x) (calibrated at 2.5). From window 100 to 150 the rows move towards the
    decision boundary (x = 0), so accuracy falls."""
    rng = np.random.default_rng(seed)
    x_ref = rng.normal(0.8, 1.5, 6000)
    y_ref = rng.random(6000) < sigmoid(2.5 * x_ref)
    centre = np.concatenate([np.full(100, 2.0), np.linspace(2.0, 0.3, 50), np.full(50, 0.3)])
    x = rng.normal(centre[:, None], 1.0, (WINDOWS, ROWS))
    return {
        "ref_scores": sigmoid(steepness * x_ref),
        "ref_truth": y_ref,
        "scores": sigmoid(steepness * x),
        "truth": rng.random((WINDOWS, ROWS)) < sigmoid(2.5 * x),
    }


def _realised(metric: str, truth: np.ndarray, scores: np.ndarray) -> float:
    predicted = scores >= 0.5
    tp, fp = np.sum(truth & predicted), np.sum(~truth & predicted)
    fn = np.sum(truth & ~predicted)
    return float(
        {
            "accuracy": lambda: np.mean(truth == predicted),
            "precision": lambda: tp / (tp + fp),
            "recall": lambda: tp / (tp + fn),
            "f1": lambda: 2 * tp / (2 * tp + fp + fn),
            "roc_auc": lambda: roc_auc_score(truth, scores),
        }[metric]()
    )


def _simulate(steepness: float) -> tuple[Calibration, dict[str, list[tuple[EstimatedMetric, float]]]]:
    sim = _shifting_model(5, steepness)
    calibration = fit_calibration(sim["ref_truth"], sim["ref_scores"])
    names = ["accuracy", "precision", "recall", "f1", "roc_auc"]
    found: dict[str, list[tuple[EstimatedMetric, float]]] = {m: [] for m in names}
    for scores, truth in zip(sim["scores"], sim["truth"], strict=True):
        for estimate in estimate_binary(names, calibration, scores, scores >= 0.5):
            found[estimate.metric].append((estimate, _realised(estimate.metric, truth, scores)))
    return calibration, found


def _covered(pairs: list[tuple[EstimatedMetric, float]], width: float = 3.0) -> float:
    inside = [
        abs(realised - e.value) <= width * e.sampling_error
        for e, realised in pairs
        if e.value is not None and e.sampling_error is not None
    ]
    assert len(inside) == len(pairs)
    return float(np.mean(inside))


@pytest.fixture(scope="module")
def calibrated() -> tuple[Calibration, dict[str, list[tuple[EstimatedMetric, float]]]]:
    return _simulate(2.5)


def test_the_band_holds_the_realised_accuracy_and_follows_the_shift(
    calibrated: tuple[Calibration, dict[str, list[tuple[EstimatedMetric, float]]]],
) -> None:
    calibration, found = calibrated
    assert calibration.warning is None
    accuracy = found["accuracy"]
    assert _covered(accuracy) >= 0.95
    # The band is not wide for safety: the sampling error is the realised value's real spread,
    # so +- 1.96 of them holds it about 95% of the time, and +- 1 about 68%.
    assert 0.90 <= _covered(accuracy, 1.96) <= 0.99
    assert 0.55 <= _covered(accuracy, 1.0) <= 0.80
    estimated = np.array([e.value for e, _ in accuracy], dtype=float)
    realised = np.array([r for _, r in accuracy])
    # It follows the shift: the drop between the first and last 50 windows is the realised one.
    drop = realised[:50].mean() - realised[-50:].mean()
    assert drop > 0.08
    assert estimated[:50].mean() - estimated[-50:].mean() == pytest.approx(drop, abs=0.01)
    assert np.corrcoef(estimated, realised)[0, 1] > 0.9


@pytest.mark.parametrize("metric", ["precision", "recall", "f1", "roc_auc"])
def test_the_band_holds_the_other_metrics(
    calibrated: tuple[Calibration, dict[str, list[tuple[EstimatedMetric, float]]]], metric: str
) -> None:
    _, found = calibrated
    assert _covered(found[metric]) >= 0.95
    assert 0.88 <= _covered(found[metric], 1.96) <= 0.99


def test_a_miscalibrated_model_is_warned_about_and_still_estimated() -> None:
    calibration, found = _simulate(6.0)  # scores far more confident than the truth
    assert calibration.raw_ece > calibration.max_ece
    assert calibration.warning is not None and "badly calibrated" in calibration.warning
    # Recalibrated on the reference, the estimates hold again.
    assert calibration.applied and calibration.ece < calibration.max_ece
    assert _covered(found["accuracy"]) >= 0.95
    # Without the recalibration the same scores would claim far better accuracy than realised.
    raw = IDENTITY
    sim = _shifting_model(5, 6.0)
    (naive,) = estimate_binary(["accuracy"], raw, sim["scores"][-1], sim["scores"][-1] >= 0.5)
    realised = _realised("accuracy", sim["truth"][-1], sim["scores"][-1])
    assert naive.value is not None and naive.value - realised > 0.05


def test_statuses_without_what_an_estimate_needs() -> None:
    assert [e.status for e in estimate_binary(["accuracy", "roc_auc"], IDENTITY, np.array([]), None)] == [
        "no_rows",
        "no_rows",
    ]
    scores = np.array([0.2, np.nan, 0.7])
    accuracy, auc = estimate_binary(["accuracy", "roc_auc"], IDENTITY, scores, None)
    assert accuracy.status == "no_predictions" and auc.status == "ok" and auc.row_count == 2
    (precision,) = estimate_binary(["precision"], IDENTITY, scores, np.array([False, False, False]))
    assert precision.status == "no_predicted_positives"
    assert estimate_binary(["pr_auc", "mae"], IDENTITY, scores, None) == []


def _regression(rng: np.random.Generator, n: int, centre: float, spread: float) -> tuple[pd.DataFrame, ...]:
    """Errors grow with |x2| and in segment "c"; the model predicts the mean."""
    x1, x2 = rng.uniform(0, 10, n), rng.normal(centre, spread, n)
    group = rng.choice(["a", "b", "c"], n, p=[0.45, 0.45, 0.1])
    prediction = 3 * x1 + x2
    actual = prediction + rng.normal(0, 0.5 + np.abs(x2) + (group == "c"))
    frame = pd.DataFrame({"x1": x1, "x2": x2, "group": group})
    return frame, pd.Series(prediction), pd.Series(actual)


def test_dle_follows_a_planted_rise_of_the_mae() -> None:
    rng = np.random.default_rng(9)
    ref, ref_prediction, ref_actual = _regression(rng, 4000, 0.0, 1.6)
    estimator = fit_loss_estimator(ref, ref_prediction.to_numpy(), ref_actual.to_numpy())
    centres = np.concatenate([np.zeros(20), np.linspace(0, 1.5, 20)])  # rows move to larger |x2|
    estimated, realised, inside = [], [], []
    for centre in centres:
        frame, prediction, actual = _regression(rng, 500, float(centre), 1.0)
        mae, rmse = estimate_regression(["mae", "rmse"], estimator, frame, prediction.to_numpy())
        errors = (actual - prediction).to_numpy()
        true_mae, true_rmse = np.abs(errors).mean(), np.sqrt(np.mean(errors**2))
        assert mae.value is not None and rmse.value is not None
        estimated.append(mae.value)
        realised.append(true_mae)
        inside += [mae.lower <= true_mae <= mae.upper, rmse.lower <= true_rmse <= rmse.upper]
    est, real = np.array(estimated), np.array(realised)
    rise = real[-5:].mean() - real[:20].mean()
    assert rise > 0.3
    assert est[-5:].mean() - est[:20].mean() == pytest.approx(rise, rel=0.25)
    assert np.corrcoef(est, real)[0, 1] > 0.9
    assert np.mean(inside) >= 0.9
    # Before the rise the estimate stays flat: no trend where none was planted.
    assert abs(np.polyfit(np.arange(20), est[:20], 1)[0]) * 20 < 0.1


def test_dle_without_rows_or_predictions() -> None:
    rng = np.random.default_rng(3)
    ref, prediction, actual = _regression(rng, 300, 0.0, 1.0)
    estimator = fit_loss_estimator(ref, prediction.to_numpy(), actual.to_numpy())
    (mae,) = estimate_regression(["mae"], estimator, ref.iloc[:0], np.array([]))
    assert mae.status == "no_rows"
    (rmse,) = estimate_regression(["rmse"], estimator, ref.iloc[:2], np.array([np.nan, np.nan]))
    assert rmse.status == "no_predictions"
    # A category never seen on the reference and a missing column are missing values, not errors.
    odd = ref.iloc[:5].assign(group="zzz").drop(columns="x1")
    (mae,) = estimate_regression(["mae"], estimator, odd, prediction.to_numpy()[:5])
    assert mae.status == "ok" and mae.value is not None and mae.value > 0


def test_rows_of_two_models_are_each_calibrated_by_their_own() -> None:
    """A window scored by two models: each row's probability is its own model's calibrated score, and
    the estimate is CBPE's over all of them (the expected accuracy and the weighted AUC, computed here
    from those probabilities and the ranks of all raw scores together)."""
    rng = np.random.default_rng(8)
    truth_p = sigmoid(rng.normal(0.5, 1.5, 6000))
    first = fit_calibration(rng.random(6000) < truth_p, truth_p)  # calibrated: kept as it is
    shrunk = 0.5 + 0.2 * (truth_p - 0.5)  # under-confident: recalibrated
    second = fit_calibration(rng.random(6000) < truth_p, shrunk)
    assert not first.applied and second.applied
    a, b = sigmoid(rng.normal(0.5, 1.5, 700)), 0.5 + 0.2 * (sigmoid(rng.normal(0.5, 1.5, 300)) - 0.5)
    parts = [BinaryRows(first, a, a >= 0.5), BinaryRows(second, b, b >= 0.5)]
    found = {e.metric: e.value for e in estimate_binary_rows(["accuracy", "roc_auc"], parts)}
    p = np.concatenate([first.apply(a), second.apply(b)])
    decided = np.concatenate([a >= 0.5, b >= 0.5])
    assert found["accuracy"] == pytest.approx(np.mean(np.where(decided, p, 1 - p)), abs=1e-12)
    ranks, m = rankdata(np.concatenate([a, b])), p.sum()
    auc = (np.dot(p, ranks) - m * (m + 1) / 2) / (m * (len(p) - m))
    assert found["roc_auc"] == pytest.approx(auc, abs=1e-12)
    # Reading the second model's scores as the first's would misjudge its rows badly.
    naive = estimate_binary(["accuracy"], first, np.concatenate([a, b]), decided)[0].value
    assert (found["accuracy"] or 0.0) - (naive or 0.0) > 0.05
