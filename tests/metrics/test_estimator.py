"""The estimator fitted from a labelled reference DataFrame: the columns it reads, and the reference
level and spread change detection standardises with, against their textbook values."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from monitor.metrics.estimator import EstimatorInputs, fit_estimator, merge
from monitor.metrics.partial_cbpe import CbpePartial
from monitor.metrics.partial_dle import DlePartial


def _binary(rng: np.random.Generator, n: int) -> pd.DataFrame:
    score = rng.uniform(0, 1, n)
    return pd.DataFrame(
        {
            "score": score,
            "prediction": np.where(score >= 0.5, "yes", "no"),
            "label": np.where(rng.random(n) < score, "yes", "no"),
        }
    )


def test_the_reference_level_and_spread_of_accuracy() -> None:
    reference = _binary(np.random.default_rng(1), 8000)
    inputs = EstimatorInputs(
        "binary_classification", ("accuracy", "roc_auc"), "label", "prediction", "score", positive_label="yes"
    )
    estimator = fit_estimator(inputs, reference)
    realised = estimator.parameters["realised"]["accuracy"]
    accuracy = float(np.mean(reference.prediction == reference.label))
    # A chunk's accuracy is a binomial share: mean p, standard deviation sqrt(p (1 - p) / chunk rows).
    assert realised.chunk_rows == 1000
    assert realised.mean == pytest.approx(accuracy, abs=0.003)
    assert realised.std == pytest.approx(np.sqrt(accuracy * (1 - accuracy) / 1000), rel=0.15)
    # The estimate varies less than the realised value: it does not carry the labels' noise.
    assert estimator.parameters["estimated"]["accuracy"].std < realised.std
    assert estimator.parameters["estimated"]["roc_auc"].mean == pytest.approx(
        estimator.parameters["realised"]["roc_auc"].mean, abs=0.01
    )


def test_each_segment_gets_its_own_level_from_its_reference_rows() -> None:
    rng = np.random.default_rng(4)
    sure, unsure = _binary(rng, 4000), _binary(rng, 4000)
    unsure = unsure.assign(score=0.4 + 0.2 * unsure.score)  # near the cut-off: about half right
    unsure = unsure.assign(
        prediction=np.where(unsure.score >= 0.5, "yes", "no"),
        label=np.where(rng.random(len(unsure)) < unsure.score, "yes", "no"),
    )
    few = _binary(rng, 150)
    reference = pd.concat([sure, unsure, few], ignore_index=True)
    names = pd.Series(["channel=web"] * 4000 + ["channel=branch"] * 4000 + ["channel=phone"] * 150)
    inputs = EstimatorInputs(
        "binary_classification", ("accuracy",), "label", "prediction", "score", positive_label="yes"
    )
    estimator = fit_estimator(inputs, reference, names)
    # 150 rows are fewer than MIN_SEGMENT_ROWS: that segment has no level of its own.
    assert set(estimator.segment_parameters) == {"channel=web", "channel=branch"}
    for name, rows in (("channel=web", sure), ("channel=branch", unsure)):
        level = estimator.segment_parameters[name]["realised"]["accuracy"]
        accuracy = float(np.mean(rows.prediction == rows.label))
        assert level.chunk_rows == 1000
        assert level.mean == pytest.approx(accuracy, abs=0.004)
        assert level.std == pytest.approx(np.sqrt(accuracy * (1 - accuracy) / 1000), rel=0.15)
    # The expected accuracy of calibrated scores is E[max(p, 1 - p)]: 0.75 for p uniform on (0, 1),
    # 0.55 on (0.4, 0.6).
    web, branch = (
        estimator.segment_parameters[n]["estimated"]["accuracy"].mean
        for n in ("channel=web", "channel=branch")
    )
    assert web == pytest.approx(0.75, abs=0.01) and branch == pytest.approx(0.55, abs=0.01)
    # The whole reference's level is the same with or without segments.
    assert fit_estimator(inputs, reference).parameters == estimator.parameters


def test_a_reference_without_what_the_estimator_needs() -> None:
    reference = _binary(np.random.default_rng(2), 500)
    inputs = EstimatorInputs("binary_classification", ("accuracy",), "outcome", "prediction", "score")
    with pytest.raises(ValueError, match="no label column 'outcome'"):
        fit_estimator(inputs, reference)
    one_class = reference.assign(label="no")
    with pytest.raises(ValueError, match="both classes"):
        fit_estimator(
            EstimatorInputs("binary_classification", ("accuracy",), "label", "prediction", "score"), one_class
        )


def test_multiclass_reads_class_columns_and_predictions_as_text() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 1.5, (3000, 3))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = (rng.random((3000, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
    frame = pd.DataFrame({f"p_{k}": p[:, k] for k in range(3)})
    frame["prediction"] = p.argmax(axis=1)  # integers; the classes are named as text
    frame["label"] = truth
    inputs = EstimatorInputs(
        "multiclass_classification",
        ("accuracy", "f1"),
        "label",
        "prediction",
        None,
        class_scores=(("0", "p_0"), ("1", "p_1"), ("2", "p_2")),
    )
    estimator = fit_estimator(inputs, frame)
    accuracy, _ = estimator.estimate(frame.iloc[:1000])
    assert accuracy.value == pytest.approx(np.mean(p[:1000].max(axis=1)), abs=0.02)
    assert set(estimator.parameters["realised"]) == {"accuracy", "f1"}


def _multiclass(rng: np.random.Generator, n: int) -> pd.DataFrame:
    p = rng.dirichlet([2, 2, 2], n)
    truth = (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
    names = np.array(["a", "b", "c"])
    return pd.DataFrame(
        {"pa": p[:, 0], "pb": p[:, 1], "pc": p[:, 2], "prediction": names[p.argmax(1)], "label": names[truth]}
    )


def _regression(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "prediction": x, "label": x + rng.normal(0, 0.2 + np.abs(x))})


@pytest.mark.parametrize(
    ("inputs", "rows"),
    [
        (
            EstimatorInputs(
                "binary_classification",
                ("accuracy", "f1", "roc_auc"),
                "label",
                "prediction",
                "score",
                positive_label="yes",
            ),
            _binary,
        ),
        (
            EstimatorInputs(
                "multiclass_classification",
                ("accuracy", "precision", "roc_auc"),
                "label",
                "prediction",
                None,
                class_scores=(("a", "pa"), ("b", "pb"), ("c", "pc")),
            ),
            _multiclass,
        ),
        (
            EstimatorInputs("regression", ("mae", "rmse"), "label", "prediction", None, features=("x",)),
            _regression,
        ),
    ],
)
def test_estimates_from_the_merged_summaries_of_a_windows_pieces(
    inputs: EstimatorInputs, rows: Callable[[np.random.Generator, int], pd.DataFrame]
) -> None:
    rng = np.random.default_rng(4)
    estimator = fit_estimator(inputs, rows(rng, 3000))
    window = rows(rng, 900)
    expected = estimator.estimate(window)
    merged = estimator.empty_partial()
    for a, b in ((0, 0), (0, 400), (400, 900)):
        merged = merge(merged, estimator.partial(window.iloc[a:b]))
    found = estimator.from_partial(merged)
    assert [f.value.metric for f in found] == [e.metric for e in expected] == list(inputs.metrics)
    for f, e in zip(found, expected, strict=True):
        assert f.value.value is not None and e.value is not None
        assert abs(f.value.value - e.value) <= (1e-9 if f.exact or f.bound is None else f.bound)
    with pytest.raises(ValueError, match="is not a summary for this"):
        estimator.from_partial(CbpePartial() if inputs.task == "regression" else DlePartial())
