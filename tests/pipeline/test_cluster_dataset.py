"""Dataset-level drift (`drift.multivariate`) of a window computed on a Dask cluster (a LocalCluster of
2 workers), against the same window's local run: the PCA reconstruction error equal but for float
rounding, with the same thresholds and verdict; the domain classifier trained on a sample of the same
size (drawn on the workers), its AUC within the local run's 95% interval and the same verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from distributed import LocalCluster

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.store.tables import RunRow
from tests.conftest import RuntimeFactory
from tests.pipeline.test_cluster import NOW, WINDOW, cluster, files, monitor

__all__ = ["cluster", "files"]  # fixtures, shared with test_cluster.py

MULTIVARIATE = {"classifier": True, "reconstruction": True, "max_rows": 600}


def dataset_tests(runtime: Runtime, name: str) -> dict[str, dict[str, Any]]:
    outcome = pipeline.run_monitor(runtime, name, WINDOW, now=NOW, trigger="schedule")
    assert outcome.status == "succeeded", outcome.error
    with runtime.sessions() as session:
        row = session.get(RunRow, outcome.run_id)
        assert row is not None and row.dataset_drift is not None
        return {t["test"]: t for t in row.dataset_drift["tests"]}


def test_dataset_drift_on_the_cluster_agrees_with_the_local_run(
    make_runtime: RuntimeFactory, db_url: str, cluster: LocalCluster, files: Path, tmp_path: Path
) -> None:
    for name in ("reference.parquet", "log"):
        (tmp_path / name).symlink_to(files / name)
    dask = {"backend": "dask", "address": cluster.scheduler_address}
    monitors = {
        name: {**monitor(compute), "drift": {"tests": ["ks", "chi2"], "multivariate": MULTIVARIATE}}
        for name, compute in (("local", {}), ("dask", dask))
    }
    runtime = make_runtime({"database": {"url": db_url}, "monitors": monitors})
    local, dask_tests = dataset_tests(runtime, "local"), dataset_tests(runtime, "dask")
    pca, exact = dask_tests["pca_reconstruction"], local["pca_reconstruction"]
    assert exact["status"] == "ok" and pca["statistic"] == pytest.approx(exact["statistic"], rel=1e-12)
    same = ("drifted", "lower", "upper", "details")
    assert [pca[k] for k in same] == [exact[k] for k in same]
    classifier, theirs = dask_tests["domain_classifier"], local["domain_classifier"]
    assert classifier["status"] == theirs["status"] == "ok"
    assert classifier["details"]["rows_per_side"] == theirs["details"]["rows_per_side"] == 600
    assert classifier["details"]["sampled_on"] == "workers" and classifier["details"]["current_rows"] == 1400
    # The window's x moved by 0.4 sd and a colour is new: both runs tell it from the reference.
    assert classifier["drifted"] and theirs["drifted"]
    low, high = theirs["details"]["auc_low"], theirs["details"]["auc_high"]
    assert low <= classifier["statistic"] <= high
