"""Importance-weighted drift: importances given or estimated on the labelled reference, a weighted
drift share, and features ranked by importance x drift."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_selection import mutual_info_classif

from monitor.drift import DriftOptions, ReferenceProfile, build_profile, compare_datasets
from monitor.drift.options import ImportanceOptions


def data(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 3000
    ref = pd.DataFrame(
        {
            "income": rng.normal(0, 1, n),
            "age": rng.normal(0, 1, n),
            "noise": rng.normal(0, 1, n),
            "city": rng.choice(["a", "b", "c"], n),
        }
    )
    ref["default"] = (ref["income"] + 0.3 * ref["age"] + rng.normal(0, 0.5, n) > 0).astype(int)
    cur = pd.DataFrame(
        {
            "income": rng.normal(0, 1, 800),
            "age": rng.normal(0.6, 1, 800),  # drifted
            "noise": rng.normal(0.6, 1, 800),  # drifted
            "city": rng.choice(["a", "b", "c"], 800),
        }
    )
    return ref, cur


def test_configured_weights_give_the_weighted_share_and_the_ranking() -> None:
    ref, cur = data(1)
    weights = {"income": 6.0, "age": 3.0, "noise": 1.0}  # city: not given, weighs 0
    drift = compare_datasets(
        ref.drop(columns="default"), cur, DriftOptions(importance=ImportanceOptions(weights))
    )
    assert set(drift.drifted_columns) == {"age", "noise"}
    weighted = drift.weighted
    assert weighted is not None and weighted.source == "config"
    assert weighted.drift_share == pytest.approx(0.3 + 0.1)
    assert drift.drift_share == pytest.approx(2 / 4)  # the plain share counts every column alike
    ranked = [(f.column, f.drifted) for f in weighted.ranked]
    assert ranked[:2] == [("age", True), ("noise", True)]  # drifted first, by importance x drift
    by = {f.column: f for f in weighted.ranked}
    effect = {r.column: r.effect_size or 0.0 for r in drift.results}
    assert by["age"].score == pytest.approx(0.3 * effect["age"]) and by["city"].importance == 0.0
    json.dumps(drift.to_dict())


def test_mutual_information_is_scikit_learns_on_the_labelled_reference() -> None:
    ref, cur = data(2)
    options = DriftOptions(
        importance=ImportanceOptions(estimate="mutual_information", target="default", seed=3)
    )
    profile = build_profile(ref, options)
    features = ["income", "age", "noise", "city"]
    x = ref[features].copy()
    x["city"] = pd.factorize(x["city"], sort=True)[0]
    expected = mutual_info_classif(
        x, ref["default"], discrete_features=[False, False, False, True], random_state=3
    )
    assert profile.dataset.importance_source == "mutual_information"
    got = [profile.dataset.importances[c] for c in features]
    assert got == pytest.approx(np.maximum(expected, 0), rel=1e-9, abs=1e-12)
    assert max(profile.dataset.importances, key=profile.dataset.importances.__getitem__) == "income"
    stored = ReferenceProfile.from_bytes(profile.to_bytes())
    assert stored.dataset.importances == profile.dataset.importances
    weighted = compare_datasets(stored, cur, options).weighted
    assert weighted is not None and weighted.source == "mutual_information"
    assert 0 < weighted.drift_share < 0.5  # age and noise drifted; income, which matters most, did not


def test_permutation_importance_of_a_surrogate_finds_what_predicts_the_target() -> None:
    ref, _ = data(3)
    options = DriftOptions(importance=ImportanceOptions(estimate="permutation", target="default"))
    importances = build_profile(ref, options).dataset.importances
    assert importances["income"] > importances["age"] > max(importances["noise"], importances["city"])
    assert importances["noise"] < 0.02


def test_estimating_without_a_target_is_an_error_and_a_missing_one_is_reported() -> None:
    ref, cur = data(4)
    with pytest.raises(ValueError, match="target column"):
        compare_datasets(ref, cur, DriftOptions(importance=ImportanceOptions(estimate="permutation")))
    options = DriftOptions(importance=ImportanceOptions(estimate="permutation", target="nope"))
    profile = build_profile(ref, options)
    assert "nope" in profile.dataset.reasons["importance"]
    assert compare_datasets(profile, cur, options).weighted is None
