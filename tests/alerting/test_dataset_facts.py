"""Dataset-level drift reaches the rules: from a comparison, and from the facts stored with a run."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from monitor.alerting.facts import facts_from_json, facts_to_json, window_facts
from monitor.drift import DriftOptions, compare_datasets
from monitor.drift.options import ImportanceOptions, MultivariateOptions
from monitor.rules import DatasetFact
from monitor.windows import Window

WINDOW = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))


def test_multivariate_verdicts_and_the_weighted_share_survive_the_round_trip() -> None:
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 2000), "y": rng.normal(0, 1, 2000)})
    cur = pd.DataFrame({"x": rng.normal(1, 1, 300), "y": rng.normal(0, 1, 300)})
    options = DriftOptions(
        multivariate=MultivariateOptions(reconstruction=True), importance=ImportanceOptions({"x": 3, "y": 1})
    )
    drift = compare_datasets(ref, cur, options)
    facts = window_facts(drift, [], len(cur), window=WINDOW)
    (test,) = drift.dataset_tests
    assert facts.dataset_tests == {"pca_reconstruction": DatasetFact(test.statistic, test.drifted, "ok")}
    assert facts.weighted_drift_share == 0.75  # x drifted, and weighs 3 of 4
    assert facts_from_json(facts_to_json(facts)) == facts


def test_facts_stored_before_dataset_drift_read_without_it() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(0, 1, 200)})
    stored = facts_to_json(window_facts(compare_datasets(frame, frame), [], 200, window=WINDOW))
    del stored["dataset_tests"], stored["weighted_drift_share"]
    old = facts_from_json(stored)
    assert old.dataset_tests == {} and old.weighted_drift_share is None
