"""CBPE from merged partial summaries against the single-process estimates on the whole window: rows
split into uneven pieces (empty ones, a single row), summarised apart and merged in several orders."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import reduce
from typing import TypeVar

import numpy as np
import pytest

from monitor.metrics.calibration import Calibration, fit_calibration
from monitor.metrics.estimation import BINARY_ESTIMABLE, EstimatedMetric, estimate_binary
from monitor.metrics.estimation_multiclass import (
    MULTICLASS_ESTIMABLE,
    MulticlassCalibration,
    estimate_multiclass,
    fit_multiclass_calibration,
)
from monitor.metrics.partial_cbpe import (
    CbpeMulticlassPartial,
    CbpePartial,
    MergedEstimate,
    cbpe_estimates,
    cbpe_multiclass_estimates,
    cbpe_multiclass_partial,
    cbpe_partial,
)

T = TypeVar("T", CbpePartial, CbpeMulticlassPartial)
IDENTITY = Calibration((), (), applied=False, raw_ece=0.0, calibrated_ece=0.0, max_ece=0.05, reference_rows=0)


def pieces(n: int) -> list[np.ndarray]:
    cuts = [0, 0, 1, 1, 300, n // 2, n]
    return [np.arange(a, b) for a, b in itertools.pairwise(cuts)]


def merged_in_orders(parts: Sequence[T], empty: T) -> list[T]:
    def join(a: T, b: T) -> T:
        return a.merge(b)

    left = reduce(join, parts, empty)
    right = reduce(lambda a, b: join(b, a), reversed(parts), empty)
    tree = join(join(join(parts[0], parts[1]), join(parts[2], parts[3])), join(parts[4], parts[5]))
    return [left, right, tree]


def assert_same(found: EstimatedMetric, expected: EstimatedMetric, with_error: bool = True) -> None:
    assert (found.metric, found.status, found.row_count, found.method) == (
        expected.metric,
        expected.status,
        expected.row_count,
        expected.method,
    )
    numbers = [(found.value, expected.value)]
    if with_error:
        numbers += [(found.sampling_error, expected.sampling_error), (found.lower, expected.lower)]
        numbers += [(found.upper, expected.upper)]
    for a, b in numbers:
        assert a == b or a == pytest.approx(b, abs=1e-9), (found, expected)


@pytest.fixture
def window() -> tuple[Calibration, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(21)
    x = rng.normal(size=6000)
    truth = rng.random(6000) < 1 / (1 + np.exp(-1.5 * x))
    scores = 1 / (1 + np.exp(-(x + rng.normal(0, 0.6, 6000))))
    calibration = fit_calibration(truth[:4000], scores[:4000] ** 2)  # badly calibrated: a real map
    current = scores[4000:] ** 2
    current[::37] = np.nan
    return calibration, current, current > 0.25


@pytest.mark.parametrize("calibrated", [True, False])
def test_binary_estimates_equal_the_single_process_ones(
    window: tuple[Calibration, np.ndarray, np.ndarray], calibrated: bool
) -> None:
    calibration, scores, predicted = window
    calibration = calibration if calibrated else IDENTITY
    assert calibration.applied == calibrated
    expected = estimate_binary(BINARY_ESTIMABLE, calibration, scores, predicted)
    parts = [cbpe_partial(calibration, scores[i], predicted[i]) for i in pieces(len(scores))]
    for merged in merged_in_orders(parts, CbpePartial()):
        found = cbpe_estimates(merged, BINARY_ESTIMABLE)
        for f, e in zip(found, expected, strict=True):
            if f.exact:
                assert_same(f.value, e)
            else:
                assert f.value.metric == "roc_auc" and f.bound is not None
                assert f.value.value is not None and e.value is not None
                assert abs(f.value.value - e.value) <= f.bound < 1e-4
                assert f.value.sampling_error == pytest.approx(e.sampling_error, rel=1e-2)
        assert [f.exact for f in found] == [m != "roc_auc" for m in BINARY_ESTIMABLE]


def test_binary_auc_is_exact_when_scores_are_on_the_grid(
    window: tuple[Calibration, np.ndarray, np.ndarray],
) -> None:
    calibration, scores, predicted = window
    rounded = np.round(scores, 3)  # 0.001 apart: one distinct score per bin of 1/4096
    (expected,) = estimate_binary(["roc_auc"], calibration, rounded, predicted)
    parts = [cbpe_partial(calibration, rounded[i], predicted[i]) for i in pieces(len(rounded))]
    merged = reduce(CbpePartial.merge, parts)
    (found,) = cbpe_estimates(merged, ["roc_auc"])
    assert_same(found.value, expected)


def test_binary_statuses(window: tuple[Calibration, np.ndarray, np.ndarray]) -> None:
    calibration, scores, _ = window
    metrics = ["accuracy", "roc_auc"]

    def both(s: np.ndarray, d: np.ndarray | None) -> tuple[list[EstimatedMetric], list[MergedEstimate]]:
        merged = reduce(
            CbpePartial.merge, [cbpe_partial(calibration, s[i], d) for i in (slice(0, 1), slice(1, None))]
        )
        return estimate_binary(metrics, calibration, s, d), cbpe_estimates(merged, metrics)

    for s in (np.array([]), np.array([np.nan, np.nan])):
        expected, found = both(s, None)
        assert [f.value.status for f in found] == [e.status for e in expected] != ["ok", "ok"]
    expected, found = both(scores[:50], None)
    assert [f.value.status for f in found] == [e.status for e in expected] == ["no_predictions", "ok"]


@pytest.fixture
def multiclass_window() -> tuple[MulticlassCalibration, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(22)

    def rows(n: int) -> tuple[np.ndarray, np.ndarray]:
        logits = rng.normal(0, 1, (n, 3)) + np.array([0.5, 0.0, -0.3])
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        truth = (rng.random((n, 1)) > np.cumsum(p**1.3 / (p**1.3).sum(1, keepdims=True), axis=1)).sum(axis=1)
        return p, truth

    ref_scores, ref_truth = rows(5000)
    calibration = fit_multiclass_calibration(
        np.array(["a", "b", "c"])[ref_truth], ref_scores, ["a", "b", "c"], max_ece=0.05
    )
    scores, _ = rows(2000)
    scores[::41, 2] = np.nan
    predicted = scores.argmax(axis=1)
    predicted[::53] = -1  # a class the scores do not name
    return calibration, scores, predicted


@pytest.mark.parametrize("average", ["macro", "weighted", "micro"])
def test_multiclass_values_equal_the_single_process_ones(
    multiclass_window: tuple[MulticlassCalibration, np.ndarray, np.ndarray], average: str
) -> None:
    calibration, scores, predicted = multiclass_window
    metrics = list(MULTICLASS_ESTIMABLE)
    expected = estimate_multiclass(metrics, calibration, scores, predicted, average=average)
    parts = [cbpe_multiclass_partial(calibration, scores[i], predicted[i]) for i in pieces(len(scores))]
    for merged in merged_in_orders(parts, CbpeMulticlassPartial()):
        found = cbpe_multiclass_estimates(merged, metrics, average=average)
        accuracy = found[0]
        assert accuracy.exact and accuracy.value.metric == "accuracy"
        assert_same(accuracy.value, expected[0])
        for f, e in zip(found[1:4], expected[1:4], strict=True):
            assert f.exact and f.value.sampling_error is None
            assert_same(f.value, e, with_error=False)
        auc = found[4]
        assert auc.bound is not None and auc.value.value is not None and expected[4].value is not None
        assert abs(auc.value.value - expected[4].value) <= auc.bound < 1e-3


def test_multiclass_without_rows_or_predictions(
    multiclass_window: tuple[MulticlassCalibration, np.ndarray, np.ndarray],
) -> None:
    calibration, scores, _ = multiclass_window
    metrics = ["accuracy", "roc_auc"]
    run: Callable[..., list[MergedEstimate]] = cbpe_multiclass_estimates
    empty = run(CbpeMulticlassPartial(), metrics)
    assert [f.value.status for f in empty] == ["no_rows"] * 2
    merged = cbpe_multiclass_partial(calibration, scores[:100], None).merge(CbpeMulticlassPartial())
    expected = estimate_multiclass(metrics, calibration, scores[:100], None)
    assert (
        [f.value.status for f in run(merged, metrics)]
        == [e.status for e in expected]
        == ["no_predictions", "ok"]
    )
