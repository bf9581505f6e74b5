"""Metrics from merged partial summaries against scikit-learn on the whole data and against the
single-process metrics (compute_metrics): rows split into uneven pieces (empty ones, a single row, a
piece of one class), summarised apart and merged in different orders."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from functools import reduce

import numpy as np
import pytest
from sklearn import metrics as skm

from monitor.metrics import MetricValue, compute_metrics
from monitor.metrics.partial import (
    MetricSettings,
    MulticlassPartial,
    Partial,
    empty_partial,
    merge,
    merge_all,
    merged_metrics,
    metrics_from,
    partial_summary,
)
from monitor.metrics.score_histogram import ScoreGrid

CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier")
EXACT = ("accuracy", "precision", "recall", "f1", "log_loss", "brier")
REGRESSION = ("mae", "rmse", "mape", "r2")
CLASSES = np.array(["bird", "cat", "dog"], dtype=object)
N = 1500


def split(order: np.ndarray) -> list[np.ndarray]:
    """Uneven pieces of the rows in `order`: two empty, one of a single row, the first 40 rows."""
    n = len(order)
    cuts = [0, 0, 40, 41, 41, n // 3, n - 5, n]
    return [order[a:b] for a, b in itertools.pairwise(cuts)]


def one_class_first(rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
    """A row order whose first 40 rows all have the first group's value."""
    first = np.flatnonzero(groups == groups[0])[:40]
    rest = np.setdiff1d(np.arange(len(groups)), first)
    return np.concatenate([first, rng.permutation(rest)])


def orders(parts: list[Partial]) -> list[Partial]:
    """The pieces merged left to right, right to left, as a balanced tree, shuffled, with identities."""
    left = reduce(merge, parts)
    right = reduce(lambda a, b: merge(b, a), reversed(parts))
    level = list(parts)
    while len(level) > 1:
        level = [
            merge(*level[i : i + 2]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)
        ]
    shuffled = [parts[i] for i in np.random.default_rng(0).permutation(len(parts))]
    empty = empty_partial(
        {"BinaryPartial": "binary_classification", "MulticlassPartial": "multiclass_classification"}.get(
            type(parts[0]).__name__, "regression"
        )
    )
    with_identity = merge(empty, merge(reduce(merge, shuffled), empty))
    return [left, right, level[0], with_identity]


def assert_same(found: list[MetricValue], expected: list[MetricValue], tolerance: float = 1e-9) -> None:
    for f, e in zip(found, expected, strict=True):
        assert (f.metric, f.status, f.sample_count) == (e.metric, e.status, e.sample_count)
        for a, b in ((f.value, e.value), (f.ci_low, e.ci_low), (f.ci_high, e.ci_high)):
            assert (a is None) == (b is None), (f, e)
            if a is not None:
                assert a == pytest.approx(b, abs=tolerance), (f, e)


@pytest.fixture
def binary() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 2, N)
    scores = np.clip(0.3 * labels + rng.beta(2, 3, N), 0, 1)
    scores[rng.random(N) < 0.05] = np.nan  # rows without a score
    predictions = (np.nan_to_num(scores) >= 0.5).astype(int).astype(object)
    predictions[rng.random(N) < 0.03] = None
    return labels, predictions, scores


def binary_pieces(data: tuple[np.ndarray, ...], settings: MetricSettings) -> list[Partial]:
    labels, predictions, scores = data
    order = one_class_first(np.random.default_rng(1), labels)
    return [partial_summary(settings, labels[i], predictions[i], scores[i]) for i in split(order)]


def test_binary_counts_and_losses_equal_scikit_learn_on_the_whole_data(
    binary: tuple[np.ndarray, ...],
) -> None:
    labels, predictions, scores = binary
    settings = MetricSettings("binary_classification", CLASSIFICATION)
    for merged in orders(binary_pieces(binary, settings)):
        found = {m.metric: m for m in metrics_from(merged, settings)}
        has = predictions != None  # noqa: E711
        y, p = labels[has], predictions[has].astype(int)
        assert merged.confusion == tuple(skm.confusion_matrix(y, p).ravel())  # type: ignore[union-attr]
        precision, recall, f1, _ = skm.precision_recall_fscore_support(y, p, average="binary")
        assert found["accuracy"].value == pytest.approx(skm.accuracy_score(y, p), abs=1e-12)
        assert (found["precision"].value, found["recall"].value, found["f1"].value) == pytest.approx(
            (precision, recall, f1), abs=1e-12
        )
        scored = np.isfinite(scores)
        assert found["log_loss"].value == pytest.approx(
            skm.log_loss(labels[scored], scores[scored]), abs=1e-12
        )
        brier = skm.brier_score_loss(labels[scored], scores[scored])
        assert found["brier"].value == pytest.approx(brier, abs=1e-12)
        assert found["roc_auc"].sample_count == int(scored.sum())


def test_binary_metrics_equal_the_single_process_ones(binary: tuple[np.ndarray, ...]) -> None:
    settings = MetricSettings("binary_classification", CLASSIFICATION)
    expected = compute_metrics("binary_classification", list(CLASSIFICATION), *binary)
    for merged in orders(binary_pieces(binary, settings)):
        results = merged_metrics(merged, settings)
        exact = [m for m in results if m.exact]
        assert [m.value.metric for m in exact] == list(EXACT)
        assert_same([m.value for m in exact], [e for e in expected if e.metric in EXACT])
        for approximate in (m for m in results if not m.exact):
            local = next(e for e in expected if e.metric == approximate.value.metric)
            assert approximate.bound is not None and approximate.value.value is not None
            assert local.value is not None
            assert abs(approximate.value.value - local.value) <= approximate.bound


def test_merged_auc_is_within_its_bound_of_scikit_learns() -> None:
    rng = np.random.default_rng(5)
    for n, spread in ((200, 0.2), (5000, 0.05), (20000, 0.3)):
        labels = rng.integers(0, 2, n)
        scores = np.clip(0.5 + spread * (labels - 0.5) + rng.normal(0, 0.2, n), 0, 1)
        settings = MetricSettings("binary_classification", ("roc_auc", "pr_auc"))
        order = one_class_first(rng, labels)
        merged = merge_all(
            "binary_classification",
            [partial_summary(settings, labels[i], None, scores[i]) for i in split(order)],
        )
        auc, ap = merged_metrics(merged, settings)
        assert auc.bound is not None and ap.bound is not None and auc.value.value is not None
        assert abs(auc.value.value - skm.roc_auc_score(labels, scores)) <= auc.bound
        assert auc.bound < 1e-3
        assert ap.value.value is not None
        assert abs(ap.value.value - skm.average_precision_score(labels, scores)) <= ap.bound


@pytest.mark.parametrize(
    "on_grid",
    [
        lambda rng, n: rng.integers(0, 4097, n) / 4096,  # multiples of 1/4096, 1.0 included
        lambda rng, n: np.round(rng.random(n), 3),  # rounded to 3 decimals: 0.001 > 1/4096 apart
    ],
)
def test_merged_auc_is_scikit_learns_when_scores_are_on_the_grid(
    on_grid: Callable[[np.random.Generator, int], np.ndarray],
) -> None:
    rng = np.random.default_rng(9)
    scores = on_grid(rng, 3000)
    labels = (rng.random(3000) < scores).astype(int)
    settings = MetricSettings("binary_classification", ("roc_auc", "pr_auc"))
    pieces = [partial_summary(settings, labels[i], None, scores[i]) for i in split(np.arange(3000))]
    auc, ap = metrics_from(merge_all("binary_classification", pieces), settings)
    assert auc.value == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    assert ap.value == pytest.approx(skm.average_precision_score(labels, scores), abs=1e-12)


def test_scores_that_are_not_probabilities_need_their_range() -> None:
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, 4000)
    logits = rng.normal(1.5 * labels, 1.0)
    expected = skm.roc_auc_score(labels, logits)
    bounds, outside = [], []
    for grid in (ScoreGrid(), ScoreGrid(-4.0, 6.0)):
        settings = MetricSettings("binary_classification", ("roc_auc", "log_loss"), score_grid=grid)
        merged = merge_all("binary_classification", [partial_summary(settings, labels, None, logits)])
        auc, log_loss = merged_metrics(merged, settings)
        assert auc.bound is not None and auc.value.value is not None
        assert abs(auc.value.value - expected) <= auc.bound
        assert log_loss.value.status == "invalid_scores"  # as on one machine
        bounds.append(auc.bound)
        outside.append(merged.scores.histogram.outside)  # type: ignore[union-attr]
    # On [0, 1] most logits fall into the end bins, and the bound says the value is worth little;
    # on a range that holds them the value is as good as for probabilities.
    assert outside[0] == np.sum((logits < 0) | (logits > 1)) and outside[1] == np.sum(np.abs(logits - 1) > 5)
    assert bounds[0] > 0.05 and bounds[1] < 1e-3


@pytest.fixture
def multiclass() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(6)
    truth = rng.integers(0, 3, N)
    logits = rng.normal(0, 1, (N, 3)) + 1.2 * np.eye(3)[truth]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    proba[rng.random(N) < 0.04, 1] = np.nan
    predictions = CLASSES[np.nan_to_num(proba).argmax(axis=1)]
    predictions[rng.random(N) < 0.03] = None
    return CLASSES[truth], predictions, {str(c): proba[:, k] for k, c in enumerate(CLASSES)}


def multiclass_pieces(
    data: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]], settings: MetricSettings
) -> list[Partial]:
    labels, predictions, scores = data
    order = one_class_first(np.random.default_rng(2), labels)
    return [
        partial_summary(
            settings, labels[i], predictions[i], class_scores={c: s[i] for c, s in scores.items()}
        )
        for i in split(order)
    ]


@pytest.mark.parametrize("average", ["macro", "weighted", "micro"])
def test_multiclass_metrics_equal_scikit_learn_and_the_single_process_ones(
    multiclass: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]], average: str
) -> None:
    labels, predictions, scores = multiclass
    settings = MetricSettings("multiclass_classification", CLASSIFICATION, average=average)
    # Only the exact metrics: one machine's row bootstrap of the ranking metrics is slow.
    expected = compute_metrics(
        "multiclass_classification",
        list(EXACT),
        labels,
        predictions,
        class_scores=scores,
        average=average,
    )
    has = predictions != None  # noqa: E711
    y, p = labels[has], predictions[has]
    precision, recall, f1, _ = skm.precision_recall_fscore_support(
        y, p, average=average, zero_division=np.nan
    )
    proba = np.column_stack([scores[str(c)] for c in CLASSES])
    scored = np.isfinite(proba).all(axis=1)
    for merged in orders(multiclass_pieces(multiclass, settings)):
        results = merged_metrics(merged, settings)
        found = {m.value.metric: m.value.value for m in results}
        assert found["accuracy"] == pytest.approx(skm.accuracy_score(y, p), abs=1e-12)
        assert (found["precision"], found["recall"], found["f1"]) == pytest.approx(
            (precision, recall, f1), abs=1e-12
        )
        assert found["log_loss"] == pytest.approx(
            skm.log_loss(labels[scored], proba[scored], labels=CLASSES), abs=1e-12
        )
        assert_same([m.value for m in results if m.exact], expected)
        auc = next(m for m in results if m.value.metric == "roc_auc")
        ovr = skm.roc_auc_score(labels[scored], proba[scored], multi_class="ovr", labels=CLASSES)
        assert auc.bound is not None and abs(found["roc_auc"] - ovr) <= auc.bound


def test_the_merged_confusion_matrix_is_scikit_learns(
    multiclass: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]],
) -> None:
    labels, predictions, _ = multiclass
    settings = MetricSettings("multiclass_classification", ("accuracy",))
    merged = merge_all("multiclass_classification", multiclass_pieces(multiclass, settings))
    assert isinstance(merged, MulticlassPartial)
    has = predictions != None  # noqa: E711
    matrix = skm.confusion_matrix(labels[has], predictions[has], labels=CLASSES)
    found = merged.confusion
    assert [[found.get((t, p), 0) for p in CLASSES] for t in CLASSES] == matrix.tolist()


def test_renormalising_is_decided_for_the_whole_window() -> None:
    # One piece's rows sum to 1 only within the tolerance: one machine then divides every row of the
    # window by its sum, also the other piece's exact-looking 0.5s (the sum 0.5 + 0.3 + 0.2 is not
    # exactly 1 in floating point, so they move into the bin below).
    grid_rows = np.tile([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.3, 0.2, 0.5]], (200, 1))
    rounded = np.tile([[0.25, 0.25, 0.5 + 5e-7], [0.6, 0.2, 0.2 - 5e-7]], (100, 1))
    proba = np.vstack([grid_rows, rounded])
    labels = CLASSES[np.random.default_rng(3).integers(0, 3, len(proba))]
    scores = {str(c): proba[:, k] for k, c in enumerate(CLASSES)}
    settings = MetricSettings("multiclass_classification", ("roc_auc", "log_loss", "brier"))
    whole = partial_summary(settings, labels, None, class_scores=scores)
    pieces = [
        partial_summary(settings, labels[i], None, class_scores={c: s[i] for c, s in scores.items()})
        for i in (np.arange(600), np.arange(600, 800))
    ]
    for merged in orders(pieces):
        assert merged.scores is not None and merged.scores.renormalise  # type: ignore[union-attr]
        for a, b in zip(merged.scores.histograms, whole.scores.histograms, strict=True):  # type: ignore[union-attr]
            assert np.array_equal(a.positive, b.positive) and np.array_equal(a.negative, b.negative)
        expected = compute_metrics(
            "multiclass_classification", ["log_loss", "brier"], labels, None, class_scores=scores
        )
        assert_same(metrics_from(merged, settings)[1:], expected)


@pytest.fixture
def regression() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    actual = 1e6 + rng.normal(0, 3, N)  # a large mean and a small spread: sums of squares would lose digits
    predicted = actual + rng.normal(0.4, 1.0, N) + 0.2 * (actual - 1e6)
    actual[rng.random(N) < 0.03] = np.nan
    predicted[rng.random(N) < 0.03] = np.inf
    return actual, predicted


def test_regression_metrics_equal_scikit_learn_and_the_single_process_ones(
    regression: tuple[np.ndarray, np.ndarray],
) -> None:
    actual, predicted = regression
    settings = MetricSettings("regression", REGRESSION)
    order = np.random.default_rng(3).permutation(N)
    pieces = [partial_summary(settings, actual[i], predicted[i]) for i in split(order)]
    keep = np.isfinite(actual) & np.isfinite(predicted)
    y, p = actual[keep], predicted[keep]
    expected = compute_metrics("regression", list(REGRESSION), actual, predicted)
    for merged in orders(pieces):
        found = {m.metric: m.value for m in metrics_from(merged, settings)}
        assert found["mae"] == pytest.approx(skm.mean_absolute_error(y, p), abs=1e-9)
        assert merged.mse == pytest.approx(skm.mean_squared_error(y, p), abs=1e-9)  # type: ignore[union-attr]
        assert found["rmse"] == pytest.approx(skm.root_mean_squared_error(y, p), abs=1e-9)
        assert found["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, p), abs=1e-12)
        assert found["r2"] == pytest.approx(skm.r2_score(y, p), abs=1e-9)
        assert merged.mean_error == pytest.approx(np.mean(y - p), abs=1e-9)  # type: ignore[union-attr]
        assert all(m.exact for m in merged_metrics(merged, settings))
        assert_same(metrics_from(merged, settings), expected)


def test_undefined_metrics_have_the_single_process_statuses() -> None:
    settings = MetricSettings("binary_classification", CLASSIFICATION)
    assert [m.status for m in metrics_from(empty_partial("binary_classification"), settings)] == [
        "no_labels"
    ] * 8
    labels, predictions = np.array([1, 1, 1]), np.array([None, None, None], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = compute_metrics("binary_classification", list(CLASSIFICATION), labels, predictions, None)
    pieces = [partial_summary(settings, labels[i], predictions[i], None) for i in ([0], [1, 2])]
    assert_same(metrics_from(merge_all("binary_classification", pieces), settings), expected)
    regression = MetricSettings("regression", REGRESSION)
    constant = [partial_summary(regression, np.full(3, 2.0), np.arange(3.0)) for _ in range(2)]
    r2 = metrics_from(merge_all("regression", constant), regression)[3]
    assert (r2.status, r2.sample_count) == ("constant_target", 6)


def test_pieces_that_cannot_be_one_window_do_not_merge() -> None:
    settings = MetricSettings("binary_classification", ("accuracy",))
    with_predictions = partial_summary(settings, [1, 0], [1, 1], None)
    without = partial_summary(settings, [1, 0], None, None)
    with pytest.raises(ValueError, match="disagree on whether it has a prediction column"):
        merge(with_predictions, without)
    fine, coarse = (
        partial_summary(
            MetricSettings("binary_classification", ("roc_auc",), score_grid=g), [1, 0], None, [0.2, 0.7]
        )
        for g in (ScoreGrid(), ScoreGrid(bins=16))
    )
    with pytest.raises(ValueError, match="different grids"):
        merge(fine, coarse)
    with pytest.raises(ValueError, match="does not merge"):
        merge(with_predictions, empty_partial("regression"))
    with pytest.raises(ValueError, match="unknown metric"):
        metrics_from(with_predictions, MetricSettings("binary_classification", ("mae",)))
