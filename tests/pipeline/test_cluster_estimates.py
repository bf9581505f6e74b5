"""Performance estimated on a Dask cluster (a LocalCluster of 2 workers: test_cluster.py's module
fixture): binary CBPE, multiclass CBPE and regression DLE monitors with segments, one of them
("colour=green") scored by another model with a reference of its own, and the smallest pooled into
"(other)". The dask run stores the estimates the local run stores, whole window and per segment:
equal where the merged summary says it is exact, within the reported bound otherwise (ROC AUC from
binned scores), with the bound in the record's note."""

from __future__ import annotations

import functools
import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster

from monitor import pipeline
from monitor.config.estimation import ESTIMABLE
from monitor.pipeline.cluster_estimates import (
    EstimatedPiece,
    cluster_estimates,
    estimate_piece,
    estimation_plan,
)
from monitor.pipeline.cluster_segments import kept_segments
from monitor.pipeline.estimates import estimate_window
from monitor.pipeline.runtime import Runtime
from monitor.pipeline.segments import segment_names
from monitor.store.estimate_tables import EstimatedMetricRow
from monitor.store.estimates import estimates_of_run
from tests.conftest import DAY0, RuntimeFactory
from tests.pipeline.test_cluster import NOW, WINDOW, cluster

__all__ = ["cluster"]  # the module's LocalCluster fixture
TASKS = ("binary_classification", "multiclass_classification", "regression")
CLASSES = {"a": "pa", "b": "pb", "c": "pc"}
COLOURS, SHARES = ["green", "red", "blue", "violet", None], [0.4, 0.3, 0.17, 0.1, 0.03]


def outputs(rng: np.random.Generator, task: str, x: np.ndarray, other_model: bool) -> dict[str, Any]:
    """A model's outputs and the true labels; the other model (green's) is under-confident (binary,
    multiclass) or biased (regression)."""
    n = len(x)
    if task == "regression":
        g = rng.normal(0, 1, n)
        prediction = 2 * x + (1.0 if other_model else 0.0)
        return {"g": g, "prediction": prediction, "label": 2 * x + rng.normal(0, 0.5 + np.abs(g))}
    if task == "binary_classification":
        p = 1 / (1 + np.exp(-2.0 * x))
        score = 0.5 + 0.2 * (p - 0.5) if other_model else p
        return {
            "score": score,
            "prediction": (score >= 0.5).astype(int),
            "label": (rng.random(n) < p).astype(int),
        }
    logits = np.column_stack([1.5 * x, np.zeros(n), -1.5 * x]) + rng.normal(0, 0.5, (n, 3))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    shown = (p + 1) / 4 if other_model else p  # rows still sum to 1, far from calibrated
    names = np.array(list(CLASSES))
    label = names[(rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(axis=1)]
    found = {column: shown[:, k] for k, column in enumerate(CLASSES.values())}
    return {**found, "prediction": names[shown.argmax(axis=1)], "label": label}


def frame(
    rng: np.random.Generator, task: str, n: int, colours: list[Any], shares: list[float]
) -> pd.DataFrame:
    x = rng.normal(0.3, 1.0, n) if task != "regression" else rng.uniform(0, 10, n)
    colour = pd.Series(rng.choice(np.array(colours, dtype=object), n, p=shares), dtype=object)
    green = (colour == "green").to_numpy()
    scored = [
        pd.DataFrame(outputs(rng, task, x[rows], other_model), index=np.flatnonzero(rows))
        for other_model, rows in ((False, ~green), (True, green))
    ]
    return pd.DataFrame({"x": x, "colour": colour}).join(pd.concat(scored).sort_index())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Per task: a reference of the monitor's model, green's own reference of the other model, and a
    log of 2 days in 4 Parquet files of 2 row groups each (the window: one day, 4 partitions)."""
    folder = tmp_path_factory.mktemp("estimates")
    rng = np.random.default_rng(23)
    for task in TASKS:
        (folder / task / "log").mkdir(parents=True)
        frame(rng, task, 2000, ["red", "blue"], [0.5, 0.5]).to_parquet(folder / task / "reference.parquet")
        green = frame(rng, task, 2000, ["green"], [1.0])
        green.to_parquet(folder / task / "green.parquet")
        for part in range(4):
            rows = frame(rng, task, 500, COLOURS, SHARES).drop(columns="label")
            start = DAY0 + pd.Timedelta(days=1, hours=12 * part)
            rows.insert(0, "timestamp", start + pd.to_timedelta(np.linspace(0, 43_199, len(rows)), "s"))
            rows.to_parquet(folder / task / "log" / f"part-{part}.parquet", row_group_size=250)
    return folder


def monitor(task: str, compute: dict[str, Any], estimation: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"features": ["x", "colour"] + (["g"] if task == "regression" else [])}
    if task == "multiclass_classification":
        schema |= {"score_column": None, "class_score_columns": CLASSES}
    return {
        "model": "toy",
        "task": task,
        "source": {"type": "files", "path": f"{task}/log/*.parquet"},
        "reference": {"type": "files", "path": f"{task}/reference.parquet"},
        "schema": schema,
        "metrics": list(ESTIMABLE[task]),
        "estimation": estimation,
        "segments": {
            "by": ["colour"],
            "max_segments": 3,
            "references": {"green": {"type": "files", "path": f"{task}/green.parquet"}},
        },
        "compute": compute,
    }


def runtime_of(
    make_runtime: RuntimeFactory, url: str, task: str, address: str, estimation: dict[str, Any] | None = None
) -> Runtime:
    dask = {"backend": "dask", "address": address}
    monitors = {"local": monitor(task, {}, estimation or {}), "dask": monitor(task, dask, estimation or {})}
    return make_runtime({"database": {"url": url}, "monitors": monitors})


@pytest.fixture
def linked(tmp_path: Path, files: Path) -> Path:
    """The module's files linked beside the test's config."""
    for task in TASKS:
        (tmp_path / task).symlink_to(files / task)
    return files


def stored(runtime: Runtime, run_id: int | None) -> dict[tuple[str, str], EstimatedMetricRow]:
    assert run_id is not None
    with runtime.sessions() as session:
        return {(r.segment, r.metric): r for r in estimates_of_run(session=session, run_id=run_id)}


def bound_of(note: str | None) -> float | None:
    """The bound a record's note gives ("... within 0.0012 of the estimate on one machine")."""
    found = re.search(r"within (\S+) of the estimate on one machine", note or "")
    return None if found is None else float(found.group(1))


def assert_as_local(found: EstimatedMetricRow, expected: EstimatedMetricRow, task: str) -> None:
    """One stored estimate of the dask run against the local run's: exact, or within its note's bound."""
    where = (found.segment, found.metric)
    assert (found.status, found.row_count, found.method) == (
        expected.status,
        expected.row_count,
        expected.method,
    )
    assert found.status == "ok" and found.value is not None and expected.value is not None, where
    assert expected.note is None or (found.note or "").startswith(expected.note), where
    bound = bound_of(found.note)
    if bound is None:  # exact: the same sums, added in another order
        assert found.value == pytest.approx(expected.value, abs=1e-12), where
    else:
        assert found.metric == "roc_auc" and abs(found.value - expected.value) <= bound < 0.01, where
    if "no sampling error" in (found.note or ""):  # one machine's errors sample labels: not merged
        assert task == "multiclass_classification" and found.metric != "accuracy"
        assert found.sampling_error is None and expected.sampling_error is not None
    elif bound is None:
        for a, b in ((found.sampling_error, expected.sampling_error), (found.lower, expected.lower)):
            assert a == pytest.approx(b, abs=1e-12), where
    else:  # ROC AUC's from the bins' midranks: approximate
        assert found.sampling_error == pytest.approx(expected.sampling_error, rel=0.05), where


@pytest.mark.parametrize("task", TASKS)
def test_estimates_on_the_cluster_equal_the_local_ones(
    make_runtime: RuntimeFactory, db_url: str, linked: Path, cluster: LocalCluster, task: str
) -> None:
    runtime = runtime_of(make_runtime, db_url, task, cluster.scheduler_address)
    local = pipeline.run_monitor(runtime, "local", WINDOW, now=NOW, trigger="schedule")
    on_cluster = pipeline.run_monitor(runtime, "dask", WINDOW, now=NOW, trigger="schedule")
    assert (local.status, on_cluster.status) == ("succeeded", "succeeded"), on_cluster.error
    theirs, mine = stored(runtime, local.run_id), stored(runtime, on_cluster.run_id)
    assert set(mine) == set(theirs)
    assert {s for s, _ in mine} == {"", "colour=green", "colour=red", "(other)"}
    for key, expected in theirs.items():
        assert_as_local(mine[key], expected, task)
    if task == "binary_classification":  # the whole window: each row by its own model's calibration
        assert "colour=green: " in (mine[("", "accuracy")].note or "")


def merged_pieces(runtime: Runtime, name: str, rows: pd.DataFrame, cuts: list[int]) -> EstimatedPiece:
    """The pieces of `rows` estimated apart, as the workers would, and merged in order."""
    monitor = runtime.monitor(name)
    assert monitor.segments is not None
    counts = segment_names(rows, monitor.segments.by).value_counts()
    kept, _ = kept_segments({str(k): int(v) for k, v in counts.items()}, monitor.segments.max_segments)
    keep = frozenset(map(str, counts.index)) if kept is None else kept
    plan = estimation_plan(runtime, name, tuple(monitor.segments.by), keep)
    assert plan is not None and plan.own
    pieces = [estimate_piece(rows.iloc[a:b], plan) for a, b in itertools.pairwise(cuts)]
    return functools.reduce(EstimatedPiece.merge, pieces)


def test_window_estimates_from_merged_pieces_are_estimate_windows(
    make_runtime: RuntimeFactory, sqlite_url: str, linked: Path
) -> None:
    """Beyond the stored records: the reference levels (whole and per segment) and the warning the
    rules judge by, from pieces cut unevenly (an empty one, one row)."""
    runtime = runtime_of(make_runtime, sqlite_url, "binary_classification", "tcp://127.0.0.1:1")  # not run
    log = sorted((linked / "binary_classification" / "log").glob("*.parquet"))
    rows = pd.concat([pd.read_parquet(p) for p in log], ignore_index=True)
    merged = merged_pieces(runtime, "dask", rows, [0, 0, 1, 700, 1999, len(rows)])
    found = cluster_estimates(runtime, "dask", len(rows), merged)
    expected = estimate_window(runtime, "dask", rows)
    assert found is not None and expected is not None
    assert (found.parameters, found.segment_parameters) == (expected.parameters, expected.segment_parameters)
    assert found.warning == expected.warning and found.segment_parameters
    key = {(r.segment, r.estimate.metric): r for r in expected.records}
    assert {(r.segment, r.estimate.metric) for r in found.records} == set(key)
    for record in found.records:
        e = key[(record.segment, record.estimate.metric)].estimate
        assert record.estimate.value is not None and e.value is not None
        bound = bound_of(record.note)
        assert abs(record.estimate.value - e.value) <= (1e-12 if bound is None else bound)


def test_an_estimator_that_cannot_be_fitted_says_why_on_the_cluster_as_locally(
    make_runtime: RuntimeFactory, sqlite_url: str, linked: Path, cluster: LocalCluster
) -> None:
    """No estimator to ship (the reference lacks the label column): the window is summarised without
    estimates and its records say why, as the local run's do."""
    unlabelled = {"label_column": "realised"}
    runtime = runtime_of(make_runtime, sqlite_url, "regression", cluster.scheduler_address, unlabelled)
    local = pipeline.run_monitor(runtime, "local", WINDOW, now=NOW, trigger="schedule")
    on_cluster = pipeline.run_monitor(runtime, "dask", WINDOW, now=NOW, trigger="schedule")
    assert (local.status, on_cluster.status) == ("succeeded", "succeeded"), on_cluster.error
    theirs, mine = stored(runtime, local.run_id), stored(runtime, on_cluster.run_id)
    found = {k: (r.status, r.row_count, r.note, r.value) for k, r in mine.items()}
    assert found == {k: (r.status, r.row_count, r.note, r.value) for k, r in theirs.items()}
    assert set(found) == {("", "mae"), ("", "rmse")} and found[("", "mae")][0] == "estimator_unavailable"
