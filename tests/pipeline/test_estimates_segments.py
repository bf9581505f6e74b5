"""Estimates and change detection per segment through the whole loop on SQLite (a backfill on
PostgreSQL costs half a minute; the queries are plain). Each segment's series, estimated or
realised, is compared with that segment's own level in the reference: two channels of very
different accuracy; from SHIFT_FROM the web channel's applicants move to the decision boundary, the
branch's do not, and only web's alerts fire. And a segment with a reference of its own (another
model) is estimated by an estimator fitted on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.store.estimates import estimates_of_run
from monitor.store.runs import list_runs
from monitor.store.tables import AlertEventRow, AlertRow
from tests.conftest import RuntimeFactory

DAY0 = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 8
ROWS = 1000
SHIFT_FROM = 4
CENTRES = {"web": 1.5, "branch": 0.25}  # web's applicants are clear cases, the branch's are not


def _rows(rng: np.random.Generator, n: int, channel: str, centre: float) -> pd.DataFrame:
    x = rng.normal(centre, 0.7, n)
    score = 1 / (1 + np.exp(-2.0 * x))
    return pd.DataFrame(
        {
            "x": x,
            "channel": channel,
            "score": score,
            "prediction": (score >= 0.5).astype(int),
            "label": (rng.random(n) < score).astype(int),  # calibrated
        }
    )


def _day(rng: np.random.Generator, day: int) -> pd.DataFrame:
    web = CENTRES["web"] if day < SHIFT_FROM else CENTRES["branch"]
    frame = pd.concat([_rows(rng, ROWS // 2, "web", web), _rows(rng, ROWS // 2, "branch", CENTRES["branch"])])
    seconds = np.sort(rng.uniform(0, 86_400, len(frame)))
    frame.insert(0, "timestamp", pd.Timestamp(DAY0 + timedelta(days=day)) + pd.to_timedelta(seconds, "s"))
    return frame.reset_index(drop=True)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    rng = np.random.default_rng(31)
    reference = pd.concat([_rows(rng, 3000, c, centre) for c, centre in CENTRES.items()], ignore_index=True)
    reference.to_parquet(tmp_path / "reference.parquet", index=False)
    log = pd.concat([_day(rng, d) for d in range(DAYS)], ignore_index=True)
    log.insert(0, "prediction_id", [f"r{i}" for i in range(len(log))])
    labels = log[["prediction_id", "label"]].assign(labelled_at=log["timestamp"] + pd.Timedelta(days=1))
    labels.to_parquet(tmp_path / "labels.parquet", index=False)
    log.drop(columns="label").to_parquet(tmp_path / "predictions.parquet", index=False)
    return tmp_path


def config(db_url: str) -> dict[str, Any]:
    change = {"signal": "metric_change", "metric": "accuracy", "per_segment": True}
    return {
        "database": {"url": db_url},
        "monitors": {
            "loans": {
                "model": "loans",
                "source": {"type": "files", "path": "predictions.parquet"},
                "labels": {"source": {"type": "files", "path": "labels.parquet"}, "recompute_every": "1d"},
                "reference": {"type": "files", "path": "reference.parquet"},
                "schema": {"features": ["x"]},
                "metrics": ["accuracy"],
                "segments": {"by": ["channel"]},
                "estimation": {},
                "alerts": [
                    {"name": "estimated-change", **change},
                    {"name": "realised-change", "of": "realised", **change},
                ],
            }
        },
    }


@pytest.fixture
def runtime(sqlite_url: str, files: Path, make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(config(sqlite_url), now=DAY0)
    end = DAY0 + timedelta(days=DAYS)
    pipeline.backfill(runtime, "loans", DAY0, end, now=end + timedelta(days=2))
    return runtime


def _alerts(runtime: Runtime) -> dict[tuple[str, str], tuple[AlertRow, list[datetime | None]]]:
    """(rule, segment) -> the alert and the ends of the windows whose runs fired it."""
    with runtime.sessions() as session:
        found = {}
        for alert in session.scalars(sa.select(AlertRow)).all():
            fired = session.scalars(
                sa.select(AlertEventRow.window_end).where(
                    AlertEventRow.alert_id == alert.id, AlertEventRow.event == "fired"
                )
            ).all()
            found[(alert.rule, alert.labels["segment"])] = (alert, list(fired))
        return found


def test_each_segment_is_judged_against_its_own_reference_level(runtime: Runtime, files: Path) -> None:
    shifted = DAY0 + timedelta(days=SHIFT_FROM)
    alerts = _alerts(runtime)
    # Only web moved: the estimated change fires on the shift day's own run, the realised one as soon
    # as that day's labels are in (a day later).
    assert set(alerts) == {("estimated-change", "channel=web"), ("realised-change", "channel=web")}
    estimated, fired_estimated = alerts[("estimated-change", "channel=web")]
    realised, fired_realised = alerts[("realised-change", "channel=web")]
    assert fired_estimated == [shifted + timedelta(days=1)]
    assert fired_realised == [shifted + timedelta(days=2)]
    for alert in (estimated, realised):
        # CUSUM dates a change to the first window of its run of evidence: the shift day, or the day
        # before when that one already fell a little below the segment's level.
        began = alert.since_window_start
        assert alert.state == "firing" and began in (shifted - timedelta(days=1), shifted)
        assert alert.since_window_end == began + timedelta(days=1)
        assert alert.summary.endswith(f"change (down) since the window of {began:%Y-%m-%d} 00:00")
    assert estimated.summary.startswith("channel=web: estimated accuracy: CUSUM")
    # The branch's accuracy is far below the whole reference's level every day: against that level
    # it would have alarmed on the first day; against its own it never does.
    reference = pd.read_parquet(files / "reference.parquet")
    whole = float(np.mean(np.maximum(reference.score, 1 - reference.score)))  # calibrated: E max(p, 1-p)
    with runtime.sessions() as session:
        runs, _ = list_runs(session=session, monitor="loans")
        branch = [
            e.value
            for r in runs
            for e in estimates_of_run(session=session, run_id=r.id)
            if (e.segment, e.metric) == ("channel=branch", "accuracy")
        ]
    # About 0.08 below, ten times the day-to-day spread of the branch's estimate.
    values = np.array(branch, dtype=float)
    assert len(values) == DAYS and values.max() < whole - 0.05 and values.std() < 0.01


def _scored(rng: np.random.Generator, n: int, version: str) -> pd.DataFrame:
    """v1 is calibrated; v2 ranks as well but is under-confident: its score is 0.5 + 0.2 (p - 0.5)."""
    x = rng.normal(0.8, 1.0, n)
    p = 1 / (1 + np.exp(-2.0 * x))
    score = p if version == "v1" else 0.5 + 0.2 * (p - 0.5)
    label = (rng.random(n) < p).astype(int)
    return pd.DataFrame({"x": x, "score": score, "prediction": (score >= 0.5).astype(int), "label": label})


def _true_probability(rows: pd.DataFrame) -> np.ndarray:
    """What each row's score means, each model undone: the probability its label is 1."""
    v2 = rows["model_version"] == "v2"
    return np.where(v2, 0.5 + (rows["score"] - 0.5) / 0.2, rows["score"]).astype(float)


@pytest.fixture
def versions(sqlite_url: str, tmp_path: Path, make_runtime: RuntimeFactory) -> Runtime:
    rng = np.random.default_rng(41)
    _scored(rng, 4000, "v1").to_parquet(tmp_path / "reference.parquet", index=False)
    _scored(rng, 4000, "v2").to_parquet(tmp_path / "reference_v2.parquet", index=False)
    days = []
    for day in range(4):
        frame = pd.concat(
            [
                _scored(rng, 700, "v1").assign(model_version="v1"),
                _scored(rng, 300, "v2").assign(model_version="v2"),
            ]
        )
        seconds = np.sort(rng.uniform(0, 86_400, len(frame)))
        frame.insert(0, "timestamp", pd.Timestamp(DAY0 + timedelta(days=day)) + pd.to_timedelta(seconds, "s"))
        days.append(frame)
    log = pd.concat(days, ignore_index=True)
    log.insert(0, "prediction_id", [f"v{i}" for i in range(len(log))])
    labels = log[["prediction_id", "label"]].assign(labelled_at=log["timestamp"] + pd.Timedelta(days=1))
    labels.to_parquet(tmp_path / "labels.parquet", index=False)
    log.drop(columns="label").to_parquet(tmp_path / "predictions.parquet", index=False)
    settings = config(sqlite_url)
    settings["monitors"]["loans"].update(
        segments={
            "by": ["model_version"],
            "references": {"v2": {"type": "files", "path": "reference_v2.parquet"}},
        },
        alerts=[],
    )
    runtime = make_runtime(settings, now=DAY0)
    end = DAY0 + timedelta(days=4)
    pipeline.backfill(runtime, "loans", DAY0, end, now=end + timedelta(days=2))
    return runtime


def test_a_segment_with_its_own_reference_is_estimated_by_its_own_model(
    versions: Runtime, tmp_path: Path
) -> None:
    """v2's rows are calibrated on v2's reference: its own estimate, and its share of the whole
    window's, follow what its scores mean; the monitor's calibration would read v2's 0.55 as 0.55."""
    log = pd.read_parquet(tmp_path / "predictions.parquet")
    truth = pd.read_parquet(tmp_path / "labels.parquet").set_index("prediction_id")["label"]
    with versions.sessions() as session:
        runs, _ = list_runs(session=session, monitor="loans")
        found = [
            {(e.segment, e.metric): e for e in estimates_of_run(session=session, run_id=r.id)} for r in runs
        ]
    assert len(runs) == 4
    for run, estimates in zip(runs, found, strict=True):
        rows = log[(log.timestamp >= run.window_start) & (log.timestamp < run.window_end)]
        p, decided = _true_probability(rows), rows["prediction"].to_numpy() == 1
        expected = float(np.mean(np.where(decided, p, 1 - p)))
        naive = float(np.mean(np.where(decided, rows["score"], 1 - rows["score"])))
        assert abs(naive - expected) > 0.05  # what reading v2's scores as v1's would say
        whole = estimates[("", "accuracy")]
        assert whole.value == pytest.approx(expected, abs=0.01)
        realised = float(np.mean(truth.loc[rows["prediction_id"]].to_numpy() == decided))
        assert whole.lower is not None and whole.upper is not None and whole.lower <= realised <= whole.upper
        v2 = rows["model_version"] == "v2"
        own = estimates[("model_version=v2", "accuracy")]
        assert own.status == "ok" and own.row_count == int(v2.sum())
        assert own.value == pytest.approx(float(np.mean(np.where(decided[v2], p[v2], 1 - p[v2]))), abs=0.015)
        # v2's scores are badly calibrated on its own reference: its estimates say so, and the whole
        # window's name it.
        assert "badly calibrated" in (own.note or "")
        assert (whole.note or "").startswith("model_version=v2: the model's scores are badly calibrated")
