"""Serving health from merged per-piece counts: the error rate, low-confidence share, counts and
throughput of the whole window (serving_health), whatever the split; no quantile is made up."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from monitor.metrics.serving import serving_health
from monitor.metrics.serving_partial import HealthColumns, HealthFacts, health_facts, health_of_facts


def window() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 1000
    status = pd.Series(rng.choice([200, 500, 503, 404], n), dtype="Int64")
    status[rng.random(n) < 0.05] = pd.NA
    score = rng.random(n)
    score[rng.random(n) < 0.02] = np.nan
    return pd.DataFrame({"status": status, "score": score})


@pytest.mark.parametrize("cuts", [[], [1, 500], list(range(100, 1000, 100))])
def test_merged_counts_give_the_whole_windows_health(cuts: list[int]) -> None:
    frame = window()
    columns = HealthColumns("status", [500, "503"], "score", (0.4, 0.6))
    bounds = [0, *cuts, len(frame)]
    merged = HealthFacts()
    for start, end in itertools.pairwise(bounds):
        merged = merged.merge(health_facts(frame.iloc[start:end], columns))
    health = health_of_facts(merged, columns, hours=24)
    whole = serving_health(
        frame,
        error_column="status",
        error_values=[500, "503"],
        score_column="score",
        low_confidence=(0.4, 0.6),
        hours=24,
    )
    known = frame["status"].dropna()
    assert health.error_rate == whole.error_rate == pytest.approx(known.isin([500, 503]).mean(), abs=1e-15)
    scores = frame["score"].dropna()
    assert health.low_confidence_share == pytest.approx(scores.between(0.4, 0.6).mean(), abs=1e-15)
    assert health.low_confidence_share == whole.low_confidence_share
    counts = (
        health.rows,
        health.error_count,
        health.error_known,
        health.score_count,
        health.throughput_per_hour,
    )
    assert counts == (
        whole.rows,
        whole.error_count,
        whole.error_known,
        whole.score_count,
        whole.throughput_per_hour,
    )
    assert (health.latency_p99, health.score_quantiles) == (None, {})


def test_an_error_column_that_is_no_flag_is_an_error_in_any_piece() -> None:
    with pytest.raises(ValueError, match="is not an error flag"):
        health_facts(window(), HealthColumns("status"))
