"""A window's metrics and estimates computed on a LocalCluster of two worker processes: the labelled
rows as a Dask DataFrame with uneven partitions (an empty one, a single row), a partial summary per
partition on the workers, merged there as a tree; the merged metrics against the single-process ones
on the same rows (exact where monitor.metrics.partial says so, within the bound for ROC and PR AUC)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from functools import partial

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from dask.delayed import delayed
from distributed import Client, LocalCluster
from sklearn import metrics as skm

from monitor.compute.dask_backend import local_only
from monitor.config import MonitorConfig
from monitor.metrics import MetricValue
from monitor.metrics.estimator import EstimatorInputs, fit_estimator
from monitor.metrics.estimator import merge as merge_estimates
from monitor.metrics.partial import merge, merged_metrics
from monitor.pipeline.labels import metric_settings, window_metrics, window_partial
from tests.compute.dask_partials import merged_summary

ROWS = 6_000
CUTS = [0, 0, 1, 1_500, 1_500, 3_300, 5_990, ROWS]
RANKING = ("roc_auc", "pr_auc")


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, **local_only(True)) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def partitioned(frame: pd.DataFrame) -> dd.DataFrame:
    pieces = [delayed(frame.iloc[a:b]) for a, b in itertools.pairwise(CUTS)]
    return dd.from_delayed(pieces, meta=frame.iloc[:0])


def labelled_rows(task: str) -> pd.DataFrame:
    rng = np.random.default_rng(16)
    proba = rng.dirichlet([1.5, 1.5, 1.5], ROWS)
    classes = 3 if task == "multiclass_classification" else 2
    truth = (rng.random((ROWS, 1)) > np.cumsum(proba, axis=1)).sum(axis=1) % classes
    score = np.clip(0.3 * truth + rng.beta(2, 3, ROWS), 0, 1)
    frame = pd.DataFrame({f"p{k}": proba[:, k] for k in range(3)})
    frame["score"] = score
    frame["label"] = truth.astype(float) if task != "regression" else 50 + 10 * score + rng.normal(0, 2, ROWS)
    frame["prediction"] = (
        proba.argmax(axis=1) if task == "multiclass_classification" else (score > 0.5).astype(int)
    )
    if task == "regression":
        frame["prediction"] = 50 + 10 * score
    frame.loc[::97, "score"] = np.nan
    return frame


def monitor_for(task: str) -> MonitorConfig:
    files = {"type": "files", "path": "/nonexistent.parquet"}
    schema = {"class_score_columns": {str(k): f"p{k}" for k in range(3)}} if task.startswith("multi") else {}
    return MonitorConfig.model_validate(
        {
            "model": "m",
            "source": files,
            "reference": files,
            "labels": {"source": files},
            "task": task,
            "schema": schema,
        }
    )


def local_metrics(monitor: MonitorConfig, frame: pd.DataFrame) -> dict[str, MetricValue]:
    """window_metrics; for multiclass, ROC and PR AUC from scikit-learn directly (one machine's
    interval is a slow row bootstrap, which the comparison does not need)."""
    if monitor.task != "multiclass_classification":
        return {m.metric: m for m in window_metrics(monitor, frame)}
    exact = monitor.model_copy(update={"metrics": [m for m in monitor.metrics if m not in RANKING]})
    found = {m.metric: m for m in window_metrics(exact, frame)}
    scored = frame.dropna(subset=["p0", "p1", "p2"])
    truth, proba = scored["label"].astype(int).to_numpy(), scored[["p0", "p1", "p2"]].to_numpy()
    auc = skm.roc_auc_score(truth, proba, multi_class="ovr")
    ap = np.mean([skm.average_precision_score(truth == k, proba[:, k]) for k in range(3)])
    found |= {m: MetricValue(m, float(v), len(scored), "ok") for m, v in zip(RANKING, (auc, ap), strict=True)}
    return found


@pytest.mark.parametrize("task", ["binary_classification", "multiclass_classification", "regression"])
def test_metrics_merged_on_the_cluster_equal_the_local_ones(client: Client, task: str) -> None:
    frame, monitor = labelled_rows(task), monitor_for(task)
    settings = metric_settings(monitor)
    merged = merged_summary(
        client, partitioned(frame), partial(window_partial, monitor, settings=settings), merge
    )
    found = merged_metrics(merged, settings)
    expected = local_metrics(monitor, frame)
    assert [f.value.metric for f in found] == monitor.metrics and set(expected) == set(monitor.metrics)
    for f in found:
        e = expected[f.value.metric]
        assert (f.value.status, f.value.sample_count) == (e.status, e.sample_count) and e.status == "ok"
        assert f.value.value is not None and e.value is not None
        if f.exact:
            numbers = [(f.value.value, e.value), (f.value.ci_low, e.ci_low), (f.value.ci_high, e.ci_high)]
            assert all(a == pytest.approx(b, abs=1e-9) for a, b in numbers), (f, e)
        else:
            assert f.bound is not None and abs(f.value.value - e.value) <= f.bound < 1e-2
    exact = {f.value.metric for f in found if f.exact}
    assert exact == set(monitor.metrics) - set(RANKING)


def test_cbpe_merged_on_the_cluster_equals_the_local_estimate(client: Client) -> None:
    frame = labelled_rows("binary_classification")
    inputs = EstimatorInputs(
        "binary_classification",
        ("accuracy", "precision", "f1", "roc_auc", "log_loss"),
        "label",
        "prediction",
        "score",
    )
    estimator = fit_estimator(inputs, frame.iloc[:5000])
    window = frame.drop(columns="label")
    merged = merged_summary(client, partitioned(window), estimator.partial, merge_estimates)
    expected = estimator.estimate(window)
    for f, e in zip(estimator.from_partial(merged), expected, strict=True):
        assert f.value.metric == e.metric and f.value.row_count == e.row_count
        assert f.value.value is not None and e.value is not None
        assert abs(f.value.value - e.value) <= (1e-9 if f.exact or f.bound is None else f.bound)
