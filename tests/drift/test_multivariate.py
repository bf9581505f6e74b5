"""Dataset-level drift: PCA reconstruction error against a plain scikit-learn computation, the domain
classifier on unchanged data and on a correlation that flipped while every column kept its shape."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from monitor.drift import DriftOptions, ReferenceProfile, Status, build_profile, compare_datasets
from monitor.drift.classifier import corrected_interval
from monitor.drift.options import MultivariateOptions

BOTH = DriftOptions(multivariate=MultivariateOptions(classifier=True, reconstruction=True, max_rows=1000))
PCA_ONLY = DriftOptions(multivariate=MultivariateOptions(reconstruction=True))


def correlated(rng: np.random.Generator, n: int, rho: float) -> pd.DataFrame:
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], n)
    return pd.DataFrame(
        {"x": z[:, 0], "y": z[:, 1], "noise": rng.exponential(1, n), "c": rng.choice(["a", "b", "c"], n)}
    )


def plain_reconstruction(
    reference: np.ndarray, current: np.ndarray, chunks: int = 10
) -> tuple[float, float, float]:
    """(current error, lower, upper), written out with scikit-learn as NannyML describes it."""
    scaler = StandardScaler().fit(reference)
    pca = PCA(n_components=0.65, svd_solver="full").fit(scaler.transform(reference))

    def error(rows: np.ndarray) -> float:
        scaled = scaler.transform(rows)
        return float(np.mean(np.linalg.norm(scaled - pca.inverse_transform(pca.transform(scaled)), axis=1)))

    n = len(reference)
    errors = [error(reference[i * n // chunks : (i + 1) * n // chunks]) for i in range(chunks)]
    mean, std = np.mean(errors), np.std(errors)
    return error(current), float(mean - 3 * std), float(mean + 3 * std)


def test_pca_reconstruction_error_is_a_plain_scikit_learn_computation() -> None:
    rng = np.random.default_rng(1)
    reference, current = correlated(rng, 3000, 0.7), correlated(rng, 500, -0.7)
    for frame in (reference, current):  # a missing number is imputed with the reference's mean
        frame.loc[frame.index[::97], "noise"] = np.nan
    numbers = ["x", "y", "noise"]
    (pca,) = compare_datasets(reference[numbers], current[numbers], PCA_ONLY).dataset_tests
    fill = reference["noise"].mean()
    expected = plain_reconstruction(
        reference[numbers].fillna(fill).to_numpy(), current[numbers].fillna(fill).to_numpy()
    )
    assert (pca.statistic, pca.lower, pca.upper) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert pca.drifted and pca.status is Status.OK
    kept = PCA(n_components=0.65, svd_solver="full").fit(
        StandardScaler().fit_transform(reference[numbers].fillna(fill))
    )
    assert pca.details["components"] == kept.n_components_ == 2  # x and y together are 57% of 3
    assert pca.details["variance_kept"] == pytest.approx(kept.explained_variance_ratio_.sum(), rel=1e-12)


def test_categories_enter_the_pca_as_their_reference_share() -> None:
    rng = np.random.default_rng(2)
    reference, current = correlated(rng, 2000, 0.5), correlated(rng, 400, 0.5)
    current.loc[current.index[:5], "c"] = "new"  # unseen: share 0
    (pca,) = compare_datasets(reference[["x", "c"]], current[["x", "c"]], PCA_ONLY).dataset_tests
    shares = reference["c"].value_counts(normalize=True)

    def encoded(frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([frame["x"], frame["c"].map(shares).fillna(0.0)])

    expected = plain_reconstruction(encoded(reference), encoded(current))
    assert (pca.statistic, pca.lower, pca.upper) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_the_interval_is_nadeau_and_bengios_corrected_resampled_t() -> None:
    aucs = [0.52, 0.47, 0.55, 0.49, 0.5]
    half = stats.t.ppf(0.975, 4) * np.sqrt((1 / 5 + 1 / 4) * np.var(aucs, ddof=1))
    assert corrected_interval(aucs) == pytest.approx((np.mean(aucs) - half, np.mean(aucs) + half), rel=1e-12)


def test_the_classifier_cannot_tell_unchanged_data_apart() -> None:
    rng = np.random.default_rng(4)
    drift = compare_datasets(correlated(rng, 4000, 0.8), correlated(rng, 1000, 0.8), BOTH)
    (classifier,) = [t for t in drift.dataset_tests if t.test == "domain_classifier"]
    assert classifier.status is Status.OK and not classifier.drifted
    assert classifier.details["auc_low"] <= 0.5 <= classifier.details["auc_high"]
    assert classifier.statistic == pytest.approx(0.5, abs=0.04)
    assert classifier.details["rows_per_side"] == 1000


def test_a_flipped_correlation_is_invisible_per_column_and_plain_to_the_classifier() -> None:
    rng = np.random.default_rng(5)
    reference, current = correlated(rng, 4000, 0.8), correlated(rng, 1000, -0.8)
    drift = compare_datasets(reference, current, BOTH)
    assert drift.drifted_columns == ()  # every column kept its distribution
    by_test = {t.test: t for t in drift.dataset_tests}
    classifier = by_test["domain_classifier"]
    assert classifier.statistic is not None and classifier.statistic > 0.7 and classifier.drifted
    assert classifier.details["auc_low"] > 0.5
    assert {f["column"] for f in classifier.details["features"][:2]} == {"x", "y"}
    assert by_test["pca_reconstruction"].drifted
    json.dumps(drift.to_dict())


def test_the_profile_keeps_what_the_dataset_tests_need() -> None:
    rng = np.random.default_rng(6)
    reference, current = correlated(rng, 3000, 0.8), correlated(rng, 300, -0.8)
    small = DriftOptions(multivariate=MultivariateOptions(classifier=True, reconstruction=True, max_rows=200))
    direct = compare_datasets(reference, current, small)
    stored = ReferenceProfile.from_bytes(build_profile(reference, small).to_bytes())
    assert compare_datasets(stored, current, small).dataset_tests == direct.dataset_tests
    plain = build_profile(reference)  # not asked for: not kept
    missing = compare_datasets(plain, current, small).dataset_tests
    assert {t.status for t in missing} == {Status.INSUFFICIENT_DATA}
    assert all("built without it" in t.details["reason"] for t in missing)


def test_too_few_rows_or_an_empty_window_are_reported_not_raised() -> None:
    rng = np.random.default_rng(7)
    reference = correlated(rng, 500, 0.5)
    drift = compare_datasets(reference, reference.iloc[:5], BOTH)
    by_test = {t.test: t for t in drift.dataset_tests}
    assert by_test["domain_classifier"].status is Status.INSUFFICIENT_DATA
    assert by_test["pca_reconstruction"].status is Status.OK
    empty = {t.test: t for t in compare_datasets(reference, reference.iloc[:0], BOTH).dataset_tests}
    assert empty["pca_reconstruction"].status is Status.EMPTY_CURRENT
