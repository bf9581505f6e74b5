"""Label metrics computed on a Dask cluster (a LocalCluster of 2 workers, threads): a binary classifier
with segments and a regression model, each monitored twice on the same Parquet log and label files,
once locally and once on the cluster. Backfilled (the label stream replayed) and then given two days
of late labels, both store the same metric versions as of the same checkpoints, the same coverage and
the same prediction ids: every metric equal to the local engine's, bit for bit, except ROC and PR AUC,
which come from merged score histograms within the bound the whole window's note states, and the
means of merged moments (log loss, Brier, MAE, RMSE...), equal up to the rounding of the last bits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from distributed import LocalCluster
from sklearn import metrics as skm

from monitor import pipeline
from monitor.compute import ComputeError
from monitor.config import parse_config
from monitor.pipeline.cluster import worker_database
from monitor.pipeline.cluster_labels import LabelPlan, label_piece
from monitor.pipeline.label_refresh import refresh_late_labels
from monitor.pipeline.labels import metric_settings
from monitor.pipeline.runtime import Runtime
from monitor.store.label_tables import WindowIdRow
from monitor.store.segment_tables import SegmentResultRow
from monitor.store.tables import MetricValueRow, MonitorRow, RunRow
from monitor.web.app import create_app
from tests.conftest import RuntimeFactory
from tests.pipeline.test_cluster import cluster
from tests.servers import serving

__all__ = ["cluster"]  # a fixture, shared with test_cluster.py

DAY0 = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 4
ROWS = 300
NOW1 = DAY0 + timedelta(days=DAYS, hours=1)
NOW2 = NOW1 + timedelta(days=2)
RANKED = {"roc_auc", "pr_auc"}  # from merged score histograms: within a bound, not bit for bit
COUNTED = {"accuracy", "precision", "recall", "f1"}  # bit for bit


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log of DAYS days in two files a day; labels 1 to 3 days after each prediction, 10% never."""
    folder = tmp_path_factory.mktemp("cluster_labels")
    rng = np.random.default_rng(23)
    n = DAYS * ROWS
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    score = 1 / (1 + np.exp(-(1.5 * x1 - x2)))
    log = pd.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "timestamp": pd.Timestamp(DAY0) + pd.to_timedelta(np.sort(rng.uniform(0, DAYS * 86_400, n)), "s"),
            "x1": x1,
            "x2": x2,
            "colour": rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2]),
            "score": score,
            "prediction": (score >= 0.5).astype(int),
            "amount": 3 * x1 + 2 * x2,
        }
    )
    (folder / "log").mkdir()
    for part in range(DAYS * 2):
        rows = log.iloc[part * ROWS // 2 : (part + 1) * ROWS // 2]
        rows.to_parquet(folder / "log" / f"part-{part}.parquet", index=False)
    log.sample(1000, random_state=1).to_parquet(folder / "reference.parquet", index=False)
    labelled = rng.random(n) >= 0.1
    known = log["timestamp"] + pd.to_timedelta(rng.uniform(1, 3, n), unit="D")
    truth = (rng.random(n) < score).astype(int)
    actual = log["amount"] + rng.normal(0, 1, n)
    for name, label in (("clf", truth), ("reg", actual)):
        labels = pd.DataFrame({"prediction_id": log["prediction_id"], "label": label, "labelled_at": known})
        labels[labelled].to_parquet(folder / f"{name}_labels.parquet", index=False)
    log.to_parquet(folder / "all.parquet", index=False)
    return folder


def monitor(task: str, compute: dict[str, Any]) -> dict[str, Any]:
    regression = task == "regression"
    return {
        "model": task,
        "task": task,
        "source": {"type": "files", "path": "log/*.parquet"},
        "reference": {"type": "files", "path": "reference.parquet"},
        "labels": {
            "source": {"type": "files", "path": "reg_labels.parquet" if regression else "clf_labels.parquet"},
            "recompute_every": "6h",
            "horizon": "4d",
        },
        "schema": {
            "features": ["x1", "x2", "colour"],
            **({"prediction_column": "amount", "score_column": None} if regression else {}),
        },
        **({} if regression else {"segments": {"by": ["colour"]}}),
        "compute": compute,
    }


@pytest.fixture
def runtime(
    tmp_path: Path, files: Path, cluster: LocalCluster, make_runtime: RuntimeFactory, db_url: str
) -> Runtime:
    for name in ("log", "reference.parquet", "clf_labels.parquet", "reg_labels.parquet"):
        (tmp_path / name).symlink_to(files / name)
    dask = {"backend": "dask", "address": cluster.scheduler_address}
    monitors = {
        "clf_local": monitor("binary_classification", {}),
        "clf_dask": monitor("binary_classification", dask),
        "reg_local": monitor("regression", {}),
        "reg_dask": monitor("regression", dask),
    }
    return make_runtime({"database": {"url": db_url}, "monitors": monitors}, now=DAY0)


Versions = dict[tuple[int, int, str, str], MetricValueRow]


def of_windows(runtime: Runtime, name: str, what: Any, run_id: Any) -> list[tuple[int, Any]]:
    """(day of the window, row) of each row of `what` (a table, or a column) of the monitor's runs,
    `run_id` the column that names its run."""
    with runtime.sessions() as session:
        rows = session.execute(
            sa.select(RunRow.window_start, what).where(
                run_id == RunRow.id, RunRow.monitor_id == MonitorRow.id, MonitorRow.name == name
            )
        ).all()
    return [((start.replace(tzinfo=UTC) - DAY0).days, found) for start, found in rows]


def versions(runtime: Runtime, name: str) -> Versions:
    """{(day, version, "", metric): row}: the whole window's metric versions."""
    found = of_windows(runtime, name, MetricValueRow, MetricValueRow.run_id)
    return {(day, r.version, "", r.metric): r for day, r in found}


def segment_metrics(runtime: Runtime, name: str) -> dict[tuple[int, str], tuple[Any, ...]]:
    found = of_windows(runtime, name, SegmentResultRow, SegmentResultRow.run_id)
    return {(day, r.segment): (r.labelled_count, r.metrics, r.labels_as_of) for day, r in found}


def window_ids(runtime: Runtime, name: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for day, join_id in of_windows(runtime, name, WindowIdRow.join_id, WindowIdRow.run_id):
        found.setdefault(day, set()).add(join_id)
    return found


def same(local: MetricValueRow, dask: MetricValueRow) -> None:
    facts = ("version", "labels_as_of", "sample_count", "status", "label_coverage")
    assert [getattr(dask, f) for f in facts] == [getattr(local, f) for f in facts], local.metric
    same_values(local.metric, vars(local), vars(dask))


def same_values(metric: str, local: dict[str, Any], dask: dict[str, Any]) -> None:
    """One metric's value, interval and bound of the dask run against the local run's."""
    if metric in RANKED and local["value"] is not None:
        # The local value is the exact one (scikit-learn's): the binned one is within its bound.
        assert dask["value"] is not None and dask["bound"] is not None, metric
        assert abs(dask["value"] - local["value"]) <= dask["bound"] + 1e-12, (metric, dask["bound"])
        return
    assert local.get("bound") is None and dask.get("bound") is None, metric
    values = [dask[k] for k in ("value", "ci_low", "ci_high")]
    exact = [local[k] for k in ("value", "ci_low", "ci_high")]
    if metric in COUNTED:  # from merged confusion counts
        assert values == exact, metric
        return
    # Means and sums of squares of merged moments: equal up to the rounding of the last bits.
    for mine, theirs in zip(values, exact, strict=True):
        assert mine == (None if theirs is None else pytest.approx(theirs, rel=1e-12, abs=1e-12)), metric


def run_both(runtime: Runtime, model: str) -> None:
    for compute in ("local", "dask"):
        name = f"{model}_{compute}"
        outcomes = pipeline.backfill(runtime, name, DAY0, DAY0 + timedelta(days=DAYS), now=NOW1).runs
        assert [o.status for o in outcomes] == ["succeeded"] * DAYS, [o.error for o in outcomes]
        refresh_late_labels(runtime, name, now=NOW2)


def test_label_metrics_on_the_cluster_equal_the_local_engine_before_and_after_late_labels(
    runtime: Runtime, files: Path
) -> None:
    run_both(runtime, "clf")
    run_both(runtime, "reg")
    for model in ("clf", "reg"):
        local, dask = versions(runtime, f"{model}_local"), versions(runtime, f"{model}_dask")
        assert set(dask) == set(local) and len({k[:2] for k in local}) > DAYS * 3  # versions over days
        for key, row in local.items():
            same(row, dask[key])
        assert window_ids(runtime, f"{model}_dask") == window_ids(runtime, f"{model}_local")
    local_segments, dask_segments = (
        segment_metrics(runtime, "clf_local"),
        segment_metrics(runtime, "clf_dask"),
    )
    assert set(dask_segments) == set(local_segments) and {s for _, s in local_segments} >= {"colour=red"}
    for where, (labelled, metrics, as_of) in local_segments.items():
        assert (dask_segments[where][0], dask_segments[where][2]) == (labelled, as_of)
        theirs = dask_segments[where][1] or {}
        assert set(theirs) == set(metrics or {})
        for metric, found in (metrics or {}).items():
            assert (theirs[metric]["sample_count"], theirs[metric]["status"]) == (
                found["sample_count"],
                found["status"],
            )
            same_values(metric, found, theirs[metric])
    # The latest AUC of day 0 against scikit-learn on the labels known before its checkpoint.
    found = versions(runtime, "clf_dask")
    latest = max(version for day, version, _, _ in found if day == 0)
    auc = found[(0, latest, "", "roc_auc")]
    assert auc.labels_as_of is not None and auc.value is not None and auc.bound is not None
    log = pd.read_parquet(files / "all.parquet")
    labels = pd.read_parquet(files / "clf_labels.parquet")
    day = log[log.timestamp < pd.Timestamp(DAY0 + timedelta(days=1))]
    known = labels[labels.labelled_at < pd.Timestamp(auc.labels_as_of)]
    joined = day.merge(known, on="prediction_id")
    assert auc.sample_count == len(joined) > 200
    assert abs(auc.value - skm.roc_auc_score(joined.label, joined.score)) <= auc.bound < 0.01
    # The API and the run's page say how close the binned value is; exact metrics carry no bound.
    with serving(create_app(runtime)) as server, server.client() as http:
        run = http.get(f"/api/v1/runs/{auc.run_id}").json()
        page = http.get(f"/runs/{auc.run_id}").text
    shown = {m["metric"]: m for m in run["metrics"]}
    assert shown["roc_auc"]["bound"] == auc.bound and shown["accuracy"]["bound"] is None
    assert f"±{auc.bound:.2g}" in page  # a bound of 0 (the binned value exact) is not shown


def test_a_window_computed_before_the_label_stream_is_adopted_on_the_cluster(
    runtime: Runtime, files: Path
) -> None:
    """As an upgrade leaves a window computed by the previous version (no ids, no checkpoint): the
    label pass has the workers store its ids, and its new version equals the local one's."""
    day = DAYS - 1
    for name in ("reg_local", "reg_dask"):
        outcomes = pipeline.backfill(runtime, name, DAY0, DAY0 + timedelta(days=DAYS), now=NOW1).runs
        assert [o.status for o in outcomes] == ["succeeded"] * DAYS, [o.error for o in outcomes]
        with runtime.sessions() as session, session.begin():
            run_id = session.scalar(
                sa.select(RunRow.id)
                .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
                .where(MonitorRow.name == name, RunRow.window_start == DAY0 + timedelta(days=day))
            )
            session.execute(sa.delete(WindowIdRow).where(WindowIdRow.run_id == run_id))
            session.execute(
                sa.update(RunRow)
                .where(RunRow.id == run_id)
                .values(labels_as_of=None, labels_pulled_through=None)
            )
        assert day not in window_ids(runtime, name)
        refresh_late_labels(runtime, name, now=NOW2)
    local, dask = versions(runtime, "reg_local"), versions(runtime, "reg_dask")
    assert set(dask) == set(local)
    for key, row in local.items():
        same(row, dask[key])
    newest = max(version for d, version, _, _ in local if d == day)
    assert local[(day, newest, "", "mae")].labels_as_of == dask[(day, newest, "", "mae")].labels_as_of
    assert window_ids(runtime, "reg_dask") == window_ids(runtime, "reg_local")
    log = pd.read_parquet(files / "all.parquet")
    start = pd.Timestamp(DAY0 + timedelta(days=day))
    in_window = log[(log.timestamp >= start) & (log.timestamp < start + pd.Timedelta(days=1))]
    assert window_ids(runtime, "reg_dask")[day] == set(in_window["prediction_id"])


def test_workers_that_cannot_reach_the_database_fail_the_pass_saying_so(files: Path) -> None:
    config = parse_config(
        {"monitors": {"clf": monitor("binary_classification", {})}}, base_dir=files, env={}
    ).monitors["clf"]
    plan = LabelPlan(
        config, "postgresql://127.0.0.1:9/nowhere", 1, 1, True, DAY0, DAY0, metric_settings(config)
    )
    piece = pd.read_parquet(files / "log" / "part-0.parquet")
    with pytest.raises(ComputeError, match="a Dask worker could not use the service's database"):
        label_piece(piece, plan)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused_for_label_metrics_on_a_cluster(url: str) -> None:
    with pytest.raises(ComputeError, match="in-memory SQLite database lives in the service's process"):
        worker_database(url, "labels")
    assert worker_database("sqlite:////srv/monitor.db", "labels") == "sqlite:////srv/monitor.db"
