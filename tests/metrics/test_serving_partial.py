"""Serving health from merged per-piece summaries: the error rate, low-confidence share, counts and
throughput of the whole window (serving_health), whatever the split; latency percentiles and score
quantiles from merged KLL sketches, numpy's own while the sketches hold every value, and past that at
a rank within the sketch's rank error of numpy's, as the note says."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from monitor.drift.sketch import rank_error
from monitor.metrics.serving import serving_health
from monitor.metrics.serving_partial import (
    HealthColumns,
    HealthFacts,
    health_facts,
    health_of_facts,
    quantile_note,
)


def window() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 1000
    status = pd.Series(rng.choice([200, 500, 503, 404], n), dtype="Int64")
    status[rng.random(n) < 0.05] = pd.NA
    score = rng.random(n)
    score[rng.random(n) < 0.02] = np.nan
    ms = rng.lognormal(3.0, 0.8, n)
    ms[rng.random(n) < 0.01] = np.nan
    return pd.DataFrame({"status": status, "score": score, "ms": ms})


@pytest.mark.parametrize("cuts", [[], [1, 500], list(range(100, 1000, 100))])
def test_merged_counts_give_the_whole_windows_health(cuts: list[int]) -> None:
    frame = window()
    columns = HealthColumns("status", [500, "503"], "score", (0.4, 0.6), "ms")
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
        latency_column="ms",
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
        health.latency_count,
        health.throughput_per_hour,
    )
    assert counts == (
        whole.rows,
        whole.error_count,
        whole.error_known,
        whole.score_count,
        whole.latency_count,
        whole.throughput_per_hour,
    )
    # Fewer values than a sketch keeps: numpy's percentiles and quantiles of the values themselves.
    ms = frame["ms"].dropna()
    assert (health.latency_p50, health.latency_p95, health.latency_p99) == tuple(
        np.percentile(ms, [50, 95, 99])
    )
    assert health.score_quantiles == whole.score_quantiles and len(health.score_quantiles) == 5
    assert quantile_note(merged) is None


def test_past_what_a_sketch_holds_each_percentile_is_within_the_rank_error() -> None:
    rng = np.random.default_rng(8)
    ms = rng.lognormal(3.0, 1.0, 300_000)
    frame = pd.DataFrame({"ms": ms, "score": rng.beta(2, 5, len(ms))})
    columns = HealthColumns(score_column="score", latency_column="ms")
    merged = HealthFacts()
    for piece in np.array_split(np.arange(len(frame)), 7):
        merged = merged.merge(health_facts(frame.iloc[piece], columns))
    health = health_of_facts(merged, columns, hours=1)
    error = rank_error(merged.latencies or b"")
    assert 0 < error < 0.002
    ordered = np.sort(ms)
    for share, value in zip(
        (0.5, 0.95, 0.99), (health.latency_p50, health.latency_p95, health.latency_p99), strict=True
    ):
        assert value is not None
        # The share of latencies at or below the value, against the one asked for.
        below = np.searchsorted(ordered, value, side="right") / len(ordered)
        assert abs(below - share) <= error + 1 / len(ordered), share
    scores = np.sort(frame["score"].to_numpy())
    for share, value in health.score_quantiles.items():
        below = np.searchsorted(scores, value, side="right") / len(scores)
        assert abs(below - share) <= error + 1 / len(scores), share
    note = quantile_note(merged)
    assert note is not None and f"{error:.2%}" in note


def test_an_error_column_that_is_no_flag_is_an_error_in_any_piece() -> None:
    with pytest.raises(ValueError, match="is not an error flag"):
        health_facts(window(), HealthColumns("status"))
