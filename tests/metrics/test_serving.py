from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from monitor.metrics.serving import HEALTH_MEASURES, ServingHealth, serving_health


@pytest.fixture
def log() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 2_000
    latency = rng.lognormal(3.0, 0.6, n)
    latency[rng.random(n) < 0.05] = np.nan
    status = rng.choice([200, 200, 200, 200, 404, 500, 503], n).astype(float)
    status[rng.random(n) < 0.03] = np.nan
    failed = rng.random(n) < 0.04
    score = rng.beta(2, 2, n)
    score[rng.random(n) < 0.02] = np.nan
    return pd.DataFrame({"latency_ms": latency, "status": status, "failed": failed, "score": score})


def test_latency_percentiles_are_numpys_on_the_non_missing_values(log: pd.DataFrame) -> None:
    health = serving_health(log, latency_column="latency_ms", hours=4.0)
    values = log["latency_ms"].dropna().to_numpy()
    assert health.latency_count == len(values) < len(log)
    assert health.latency_p50 == pytest.approx(np.percentile(values, 50), abs=1e-9)
    assert health.latency_p95 == pytest.approx(np.percentile(values, 95), abs=1e-9)
    assert health.latency_p99 == pytest.approx(np.percentile(values, 99), abs=1e-9)
    assert health.rows == 2_000 and health.throughput_per_hour == 500.0
    assert health.error_rate is None and health.low_confidence_share is None


def test_hand_checked_percentiles() -> None:
    # numpy's linear method on 1..5: p50 = 3, p95 = 4 + 0.8 * (5 - 4) = 4.8, p99 = 4.96.
    frame = pd.DataFrame({"ms": [5.0, 1.0, None, 3.0, 2.0, 4.0]})
    health = serving_health(frame, latency_column="ms", hours=1.0)
    assert (health.latency_p50, health.latency_p95, health.latency_p99) == pytest.approx((3.0, 4.8, 4.96))


def test_boolean_error_flag(log: pd.DataFrame) -> None:
    health = serving_health(log, error_column="failed", hours=1.0)
    assert health.error_rate == pytest.approx(log["failed"].mean(), abs=1e-9)
    assert (health.error_count, health.error_known) == (int(log["failed"].sum()), len(log))


def test_error_statuses_leave_missing_values_out_of_the_denominator(log: pd.DataFrame) -> None:
    health = serving_health(log, error_column="status", error_values=[500, 503], hours=1.0)
    known = log["status"].dropna()
    assert health.error_rate == pytest.approx(known.isin([500.0, 503.0]).mean(), abs=1e-9)
    assert health.error_known == len(known) < len(log)


def test_hand_checked_error_values_match_by_text_and_value() -> None:
    frame = pd.DataFrame(
        {
            "flag": [1, 0, 0, None, 1],
            "code": ["500", "200", None, "503", "200"],
            "outcome": ["ok", "error", "ok", None, "timeout"],
        }
    )
    flag = serving_health(frame, error_column="flag", hours=1.0)
    code = serving_health(frame, error_column="code", error_values=[500, 503], hours=1.0)
    outcome = serving_health(frame, error_column="outcome", error_values=["error", "timeout"], hours=1.0)
    assert flag.error_rate == 2 / 4  # the missing flag is neither an error nor a success
    assert code.error_rate == 2 / 4  # statuses as text match the numbers 500 and 503
    assert outcome.error_rate == 2 / 4


def test_a_non_flag_error_column_without_error_values_is_an_error() -> None:
    frame = pd.DataFrame({"status": [200, 500, 200]})
    with pytest.raises(ValueError, match="error_values"):
        serving_health(frame, error_column="status", hours=1.0)


def test_low_confidence_share_and_score_quantiles(log: pd.DataFrame) -> None:
    health = serving_health(log, score_column="score", low_confidence=(0.4, 0.6), hours=1.0)
    scores = log["score"].dropna()
    in_band = ((scores >= 0.4) & (scores <= 0.6)).mean()
    assert health.low_confidence_share == pytest.approx(in_band, abs=1e-9)
    assert health.score_count == len(scores)
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    expected = dict(zip(levels, np.quantile(scores, levels), strict=True))
    assert health.score_quantiles == pytest.approx(expected, abs=1e-9)


def test_band_ends_are_inclusive() -> None:
    frame = pd.DataFrame({"score": [0.4, 0.5, 0.6, 0.61, None]})
    health = serving_health(frame, score_column="score", low_confidence=(0.4, 0.6), hours=1.0)
    assert health.low_confidence_share == 3 / 4


def test_nothing_to_measure_is_none_not_zero() -> None:
    frame = pd.DataFrame({"ms": [None, None], "failed": [None, None], "score": [None, None]})
    health = serving_health(
        frame,
        latency_column="ms",
        error_column="failed",
        score_column="score",
        low_confidence=(0, 1),
        hours=2.0,
    )
    assert health.measures() == {
        "throughput_per_hour": 1.0,
        "latency_p50": None,
        "latency_p95": None,
        "latency_p99": None,
        "error_rate": None,
        "low_confidence_share": None,
    }
    assert health.score_quantiles == {}


def test_to_json_is_json_with_nan_as_null() -> None:
    health = ServingHealth(10, 5.0, math.nan, 2.0, 3.0, None, 0.1, {0.5: math.nan})
    document = json.loads(json.dumps(health.to_json(), allow_nan=False))
    assert document["latency_p50"] is None and document["score_quantiles"] == {"0.5": None}
    assert set(HEALTH_MEASURES) <= set(document)


def test_bad_arguments_are_errors() -> None:
    frame = pd.DataFrame({"ms": [1.0]})
    with pytest.raises(ValueError, match="'latency' is not in the data"):
        serving_health(frame, latency_column="latency", hours=1.0)
    with pytest.raises(ValueError, match="hours"):
        serving_health(frame, hours=0)
    with pytest.raises(ValueError, match="low > high"):
        serving_health(frame, hours=1, low_confidence=(0.6, 0.4))
