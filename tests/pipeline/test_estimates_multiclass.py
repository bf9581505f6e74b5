"""Estimated performance of a multiclass classifier through the whole loop on SQLite: class-probability
columns in the log, labels a day late, every stored estimate checked against CBPE's documented
definition (docs/metrics.md, "Multiclass") computed here with numpy, and the realised values, once
labels came, inside the estimate's band."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.store.estimates import estimates_of_run
from monitor.store.runs import list_runs
from tests.conftest import RuntimeFactory

DAY0 = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 6
ROWS = 1200
SHIFT_FROM = 3  # applicants move toward where the classes meet: the model is less sure, and less right
CLASSES = ("bronze", "gold", "silver")  # as scikit-learn orders them
COLUMNS = {c: f"p_{c}" for c in CLASSES}
WEIGHTS = np.array([[-1.5, 0.0], [1.5, 1.0], [0.0, -1.2]])  # each class's logit: weights . (x1, x2)


def _rows(rng: np.random.Generator, n: int, spread: float) -> pd.DataFrame:
    x = rng.normal(0.0, spread, (n, 2))
    logits = x @ WEIGHTS.T
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    frame = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1]})
    for k, cls in enumerate(CLASSES):
        frame[COLUMNS[cls]] = p[:, k]
    # The model flags gold from a probability of 0.3 (a missed gold costs more), so its prediction is
    # not always its most probable class.
    gold = CLASSES.index("gold")
    frame["prediction"] = np.array(CLASSES)[np.where(p[:, gold] >= 0.3, gold, p.argmax(axis=1))]
    # The scores are calibrated: each row's class is drawn from them.
    drawn = (rng.random(n)[:, None] > p.cumsum(axis=1)).sum(axis=1)
    frame["label"] = np.array(CLASSES)[np.minimum(drawn, len(CLASSES) - 1)]
    return frame


@pytest.fixture
def files(tmp_path: Path) -> Path:
    rng = np.random.default_rng(21)
    _rows(rng, 5000, 1.5).to_parquet(tmp_path / "reference.parquet", index=False)
    parts = []
    for day in range(DAYS):
        frame = _rows(rng, ROWS, 1.5 if day < SHIFT_FROM else 0.6)
        seconds = np.sort(rng.uniform(0, 86_400, ROWS))
        frame.insert(0, "timestamp", pd.Timestamp(DAY0 + timedelta(days=day)) + pd.to_timedelta(seconds, "s"))
        parts.append(frame)
    log = pd.concat(parts, ignore_index=True)
    log.insert(0, "prediction_id", [f"r{i}" for i in range(len(log))])
    labels = log[["prediction_id", "label"]].assign(labelled_at=log["timestamp"] + pd.Timedelta(days=1))
    labels.to_parquet(tmp_path / "labels.parquet", index=False)
    log.drop(columns="label").to_parquet(tmp_path / "predictions.parquet", index=False)
    return tmp_path


def config(db_url: str) -> dict[str, Any]:
    return {
        "database": {"url": db_url},
        "monitors": {
            "tiers": {
                "model": "tiers",
                "task": "multiclass_classification",
                "source": {"type": "files", "path": "predictions.parquet"},
                # One metrics version per window once its labels are in (realised multiclass ROC AUC
                # with its bootstrap interval costs seconds a version, so it is left out here).
                "labels": {"source": {"type": "files", "path": "labels.parquet"}, "recompute_every": "1d"},
                "reference": {"type": "files", "path": "reference.parquet"},
                "schema": {"features": ["x1", "x2"], "score_column": None, "class_score_columns": COLUMNS},
                "metrics": ["accuracy", "f1"],
                "estimation": {},
            }
        },
    }


def expected(rows: pd.DataFrame) -> dict[str, float]:
    """CBPE as docs/metrics.md defines it for calibrated scores (which keep their own values): P is
    the class scores scaled to sum to 1; accuracy is the mean of P at the predicted class; per class
    k, A = sum of P[:, k] over rows predicted k, m = their count, S = sum of P[:, k]; macro F1 is the
    mean over classes of 2 A / (m + S)."""
    p = rows[[COLUMNS[c] for c in CLASSES]].to_numpy().clip(0, 1)
    p = p / p.sum(axis=1, keepdims=True)
    predicted = rows["prediction"].map({c: k for k, c in enumerate(CLASSES)}).to_numpy()
    chosen = predicted[:, None] == np.arange(len(CLASSES))[None, :]
    a, m, s = (p * chosen).sum(axis=0), chosen.sum(axis=0), p.sum(axis=0)
    return {"accuracy": float(p[np.arange(len(p)), predicted].mean()), "f1": float(np.mean(2 * a / (m + s)))}


@pytest.fixture
def runtime(sqlite_url: str, files: Path, make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(config(sqlite_url), now=DAY0)
    end = DAY0 + timedelta(days=DAYS)
    pipeline.backfill(runtime, "tiers", DAY0, end, now=end + timedelta(days=2))  # every label is in
    return runtime


def test_multiclass_estimates_are_cbpe_of_the_class_probabilities(runtime: Runtime, files: Path) -> None:
    log = pd.read_parquet(files / "predictions.parquet")
    truth = pd.read_parquet(files / "labels.parquet").set_index("prediction_id")["label"]
    with runtime.sessions() as session:
        runs, _ = list_runs(session=session, monitor="tiers")
        found = [
            {(e.segment, e.metric): e for e in estimates_of_run(session=session, run_id=r.id)} for r in runs
        ]
    assert len(runs) == DAYS
    inside, accuracy = [], []
    for run, estimates in zip(runs, found, strict=True):
        rows = log[(log.timestamp >= run.window_start) & (log.timestamp < run.window_end)]
        assert set(estimates) == {("", "accuracy"), ("", "f1")}
        want = expected(rows)
        for metric in ("accuracy", "f1"):
            stored = estimates[("", metric)]
            assert (stored.method, stored.status, stored.row_count) == ("cbpe", "ok", len(rows))
            assert stored.value == pytest.approx(want[metric], abs=1e-9)
        labels = truth.loc[rows["prediction_id"]].to_numpy()
        realised = {
            "accuracy": accuracy_score(labels, rows["prediction"]),
            "f1": f1_score(labels, rows["prediction"], average="macro"),
        }
        inside += [estimates[("", m)].lower <= v <= estimates[("", m)].upper for m, v in realised.items()]
        accuracy.append((want["accuracy"], realised["accuracy"]))
    assert sum(inside) >= len(inside) - 1  # 12 comparisons, each at 3 sampling errors
    # The shift toward where the classes meet lowers the estimate and the realised accuracy alike.
    before, after = np.mean(accuracy[:SHIFT_FROM], axis=0), np.mean(accuracy[SHIFT_FROM:], axis=0)
    assert before[0] - after[0] > 0.1 and before[1] - after[1] > 0.1
