"""A window split by model version: every segment's drift, metrics and serving health equal the
values computed independently on that segment's rows (scipy, scikit-learn, numpy), a segment with its
own reference is compared with it, late labels renew each segment's metrics, and a per-segment rule
fires for the bad version only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, ks_2samp
from sklearn.metrics import accuracy_score, roc_auc_score

from monitor import pipeline
from monitor.pipeline.label_refresh import advance_labels
from monitor.pipeline.runtime import Runtime
from monitor.pipeline.segments import capped, segment_names
from monitor.store import alerts as alert_store
from monitor.store.segments import segments_of_run
from monitor.store.tables import AlertRow
from monitor.windows import Window
from tests.conftest import RuntimeFactory

DAY0 = datetime(2026, 9, 1, tzinfo=UTC)
ROWS = 3000
CANARY_SHARE = 0.2
V4 = "model_version=v4"
V3 = "model_version=v3"


def _log(rng: np.random.Generator) -> pd.DataFrame:
    """Two days; from day 1, v4 serves a fifth of the traffic, slower, failing more, and worse."""
    days = []
    for day in range(2):
        version = np.where((day >= 1) & (rng.random(ROWS) < CANARY_SHARE), "v4", "v3")
        canary = version == "v4"
        x = rng.normal(0, 1, ROWS)
        truth = (rng.random(ROWS) < 1 / (1 + np.exp(-2 * x))).astype(int)
        noise = np.where(canary, rng.normal(0, 3, ROWS), 0.0)  # v4's scores follow x less
        score = 1 / (1 + np.exp(-(2 * x + noise)))
        days.append(
            pd.DataFrame(
                {
                    "timestamp": pd.Timestamp(DAY0 + timedelta(days=day))
                    + pd.to_timedelta(np.sort(rng.uniform(0, 86_400, ROWS)), unit="s"),
                    "x": x,
                    "colour": rng.choice(["red", "green", "blue"], ROWS, p=[0.5, 0.3, 0.2]),
                    "score": score,
                    "prediction": (score >= 0.5).astype(int),
                    "model_version": version,
                    "latency_ms": np.where(canary, rng.gamma(4, 30, ROWS), rng.gamma(4, 10, ROWS)),
                    "status": np.where(rng.random(ROWS) < np.where(canary, 0.08, 0.01), 500, 200),
                    "_truth": truth,
                }
            )
        )
    log = pd.concat(days, ignore_index=True)
    log.insert(0, "prediction_id", [f"p{i}" for i in range(len(log))])
    return log


@pytest.fixture
def files(tmp_path: Path) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    log = _log(rng)
    log.drop(columns="_truth").to_parquet(tmp_path / "predictions.parquet")
    # Labels: half known within the hour, the rest a day later.
    later = rng.random(len(log)) < 0.5
    delay = pd.to_timedelta(np.where(later, 24, 0.5), unit="h")
    pd.DataFrame(
        {
            "prediction_id": log["prediction_id"],
            "label": log["_truth"],
            "labelled_at": log["timestamp"] + delay,
        }
    ).to_parquet(tmp_path / "labels.parquet")
    reference = pd.DataFrame(
        {"x": rng.normal(0, 1, 4000), "colour": rng.choice(["red", "green", "blue"], 4000, p=[0.5, 0.3, 0.2])}
    )
    reference.to_parquet(tmp_path / "reference.parquet")
    # v4's own validation data: shifted, so its drift differs from the shared reference's.
    own = reference.assign(x=reference["x"] + 0.3)
    own.to_parquet(tmp_path / "reference_v4.parquet")
    return log.assign(labelled_at=log["timestamp"] + delay)


def _config(db_url: str) -> dict:
    return {
        "database": {"url": db_url},
        "notifiers": {"log": {"type": "log"}},
        "monitors": {
            "m": {
                "model": "toy",
                "source": {"type": "files", "path": "predictions.parquet"},
                "labels": {"source": {"type": "files", "path": "labels.parquet"}},
                "reference": {"type": "files", "path": "reference.parquet"},
                "schema": {"features": ["x", "colour"]},
                "metrics": ["accuracy", "roc_auc"],
                "drift": {"tests": ["ks", "chi2"]},
                "segments": {
                    "by": ["model_version"],
                    "references": {"v4": {"type": "files", "path": "reference_v4.parquet"}},
                },
                "serving": {"latency_column": "latency_ms", "error_column": "status", "error_values": [500]},
                "alerts": [
                    {
                        "name": "version_errors",
                        "signal": "health",
                        "metric": "error_rate",
                        "op": ">",
                        "threshold": 0.04,
                        "per_segment": True,
                        "notify": ["log"],
                    },
                    {
                        "name": "version_auc",
                        "signal": "metric",
                        "metric": "roc_auc",
                        "op": "<",
                        "threshold": 0.8,
                        "per_segment": True,
                        "min_label_coverage": 0.9,
                        "notify": ["log"],
                    },
                ],
            }
        },
    }


@pytest.fixture
def runtime(db_url: str, files: pd.DataFrame, make_runtime: RuntimeFactory) -> Runtime:
    return make_runtime(_config(db_url), now=DAY0)


def _stored(runtime: Runtime, run_id: int) -> dict[str, object]:
    with runtime.sessions() as session:
        rows = segments_of_run(session=session, run_id=run_id)
        return {r.segment: r for r in rows}


def _rows_of(files: pd.DataFrame, window: Window) -> pd.DataFrame:
    times = files["timestamp"]
    return files[(times >= pd.Timestamp(window.start)) & (times < pd.Timestamp(window.end))]


def _drift(row: object, column: str, test: str) -> dict:
    return next(d for d in row.drift if d["column"] == column and d["test"] == test)  # type: ignore[attr-defined]


def test_each_segment_equals_an_independent_computation_on_its_rows(
    runtime: Runtime, files: pd.DataFrame, tmp_path: Path
) -> None:
    window = Window(DAY0 + timedelta(days=1), DAY0 + timedelta(days=2))
    run_at = window.end + timedelta(hours=1)
    pipeline.run_monitor(runtime, "m", window, now=run_at)  # labels pulled by the run's catch-up below
    advance_labels(runtime, "m", through=run_at, now=run_at)
    outcome = pipeline.run_monitor(runtime, "m", window, now=run_at, recompute=True)
    assert outcome.status == "succeeded"
    stored = _stored(runtime, outcome.run_id or 0)
    assert set(stored) == {"", V3, V4}
    day = files[
        (files["timestamp"] >= pd.Timestamp(window.start)) & (files["timestamp"] < pd.Timestamp(window.end))
    ]
    shared = pd.read_parquet(tmp_path / "reference.parquet")
    own = pd.read_parquet(tmp_path / "reference_v4.parquet")
    for name, reference in ((V3, shared), (V4, own)):
        rows = day[day["model_version"] == name.partition("=")[2]]
        row = stored[name]
        assert row.row_count == len(rows)  # type: ignore[attr-defined]
        assert row.reference == ("own" if name == V4 else "shared")  # type: ignore[attr-defined]
        ks = ks_2samp(reference["x"], rows["x"])
        assert _drift(row, "x", "ks")["statistic"] == pytest.approx(ks.statistic, abs=1e-9)
        assert _drift(row, "x", "ks")["p_value"] == pytest.approx(ks.pvalue, abs=1e-9)
        table = pd.crosstab(
            np.r_[np.zeros(len(reference)), np.ones(len(rows))], np.r_[reference["colour"], rows["colour"]]
        )
        chi2 = chi2_contingency(table.to_numpy(), correction=False)
        assert _drift(row, "colour", "chi2")["p_value"] == pytest.approx(chi2.pvalue, abs=1e-9)
        # Metrics count the labels known by the run: those labelled before its checkpoint.
        labelled = rows[rows["labelled_at"] < pd.Timestamp(run_at)]
        metrics = row.metrics  # type: ignore[attr-defined]
        assert metrics["accuracy"]["value"] == pytest.approx(
            accuracy_score(labelled["_truth"], labelled["prediction"]), abs=1e-9
        )
        assert metrics["roc_auc"]["value"] == pytest.approx(
            roc_auc_score(labelled["_truth"], labelled["score"]), abs=1e-9
        )
        assert row.labelled_count == len(labelled)  # type: ignore[attr-defined]
        health = row.health  # type: ignore[attr-defined]
        for q, key in ((50, "latency_p50"), (95, "latency_p95"), (99, "latency_p99")):
            assert health[key] == pytest.approx(np.percentile(rows["latency_ms"], q), abs=1e-9)
        assert health["error_rate"] == pytest.approx(float(np.mean(rows["status"] == 500)), abs=1e-12)
        assert health["throughput_per_hour"] == pytest.approx(len(rows) / 24, abs=1e-9)
    whole = stored[""].health  # type: ignore[attr-defined]
    assert whole["latency_p99"] == pytest.approx(np.percentile(day["latency_ms"], 99), abs=1e-9)
    assert whole["rows"] == len(day)


def test_late_labels_renew_each_segments_metrics(runtime: Runtime, files: pd.DataFrame) -> None:
    window = Window(DAY0 + timedelta(days=1), DAY0 + timedelta(days=2))
    run_at = window.end + timedelta(hours=1)
    advance_labels(runtime, "m", through=run_at, now=run_at)
    outcome = pipeline.run_monitor(runtime, "m", window, now=run_at)
    first = _stored(runtime, outcome.run_id or 0)[V4].labelled_count  # type: ignore[attr-defined]
    later = window.end + timedelta(days=2)
    advance_labels(runtime, "m", through=later, now=later)
    row = _stored(runtime, outcome.run_id or 0)[V4]
    day = files[
        (files["timestamp"] >= pd.Timestamp(window.start)) & (files["timestamp"] < pd.Timestamp(window.end))
    ]
    rows = day[day["model_version"] == "v4"]
    assert first < row.labelled_count == len(rows)  # type: ignore[attr-defined]
    assert row.metrics["roc_auc"]["value"] == pytest.approx(  # type: ignore[attr-defined]
        roc_auc_score(rows["_truth"], rows["score"]), abs=1e-9
    )


def test_a_per_segment_rule_fires_for_the_bad_version_only(runtime: Runtime) -> None:
    pipeline.backfill(runtime, "m", DAY0, DAY0 + timedelta(days=2), now=DAY0 + timedelta(days=3))
    with runtime.sessions() as session:
        alerts = alert_store.monitor_alerts(session=session, monitor_id=1)
    states = {(a.rule, a.labels.get("segment")): a.state for a in alerts.values() if isinstance(a, AlertRow)}
    # v3 fails 1% of the time and ranks well: it never breached, so it has no alert at all. The
    # metric rule judged each version once its labels were in (a day later for half of them).
    assert states == {("version_errors", V4): "firing", ("version_auc", V4): "firing"}
    errors = next(a for a in alerts.values() if a.rule == "version_errors")
    assert errors.labels == {"rule": "version_errors", "metric": "error_rate", "segment": V4}
    assert errors.summary.startswith(f"{V4}: error rate = ")


def test_segments_beyond_the_cap_are_pooled_and_a_missing_value_is_a_segment() -> None:
    frame = pd.DataFrame({"v": ["a"] * 5 + ["b"] * 3 + ["c"] * 2 + ["d"] + [None], "r": ["x"] * 12})
    names = segment_names(frame, ["v", "r"])
    assert names.iloc[0] == "v=a,r=x" and names.iloc[-1] == "v=(missing),r=x"
    pooled, count = capped(segment_names(frame, ["v"]), 3)
    assert count == 3
    assert pooled.value_counts().to_dict() == {"v=a": 5, "v=b": 3, "(other)": 4}
