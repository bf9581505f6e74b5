"""A monitor of rows pushed over HTTP (`source: {type: ingest}`) computed on a Dask cluster (a
LocalCluster of 2 workers): the workers read the pushed rows from the service's database in time
ranges, and the run stores what scipy and pandas compute on the rows pushed, label metrics
included (labels pushed too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster
from scipy.stats import ks_2samp
from sklearn.metrics import accuracy_score

from monitor import pipeline
from monitor.pipeline.label_refresh import refresh_late_labels
from monitor.services.types import RunDetailOut
from monitor.store import runs as run_store
from monitor.web.app import create_app
from monitor.windows import Window
from tests.conftest import AUTH_HEADERS, RuntimeFactory
from tests.pipeline.test_cluster import cluster
from tests.servers import serving
from tests.sources.test_ingest import DAY0, LABELS, PREDICTIONS, ingest_config, rows

__all__ = ["cluster"]  # a fixture, shared with test_cluster.py

WINDOW = Window(DAY0, DAY0 + timedelta(days=1))


def test_pushed_rows_are_read_on_the_workers_and_judged_as_scipy_does(
    db_url: str, tmp_path: Path, make_runtime: RuntimeFactory, cluster: LocalCluster
) -> None:
    reference = pd.DataFrame(rows(60, start=1000))
    reference["timestamp"] = pd.to_datetime(reference["timestamp"])
    reference["signup"] = pd.to_datetime(reference["signup"])
    reference.to_parquet(tmp_path / "reference.parquet")
    config: dict[str, Any] = ingest_config(db_url)
    config["monitors"]["churn"]["compute"] = {"backend": "dask", "address": cluster.scheduler_address}
    config["monitors"]["churn"]["compute"]["sql_ranges"] = 5
    runtime = make_runtime(config, now=DAY0)
    pushed = rows(200)  # 7 minutes apart: 200 rows within the day
    truth = np.random.default_rng(3).integers(0, 2, len(pushed))
    labels = [
        {"prediction_id": r["prediction_id"], "label": int(t)} for r, t in zip(pushed, truth, strict=True)
    ]
    with serving(create_app(runtime)) as server, server.client() as http:
        for start in range(0, len(pushed), 40):
            batch = slice(start, start + 40)
            assert http.post(PREDICTIONS, json=pushed[batch], headers=AUTH_HEADERS).status_code == 200
            assert http.post(LABELS, json=labels[batch], headers=AUTH_HEADERS).status_code == 200
    # The labels became known on arrival: the window's run counts none; the next label pass does.
    now = datetime.now(UTC) + timedelta(minutes=2)
    outcome = pipeline.run_monitor(runtime, "churn", WINDOW, now=now, trigger="schedule")
    assert outcome.status == "succeeded" and outcome.run_id is not None, outcome.error
    refresh_late_labels(runtime, "churn", now=now)
    with runtime.sessions() as session:
        found = run_store.get_run(session=session, run_id=outcome.run_id)
        assert found is not None
        detail = RunDetailOut.from_detail(*found)
    frame = pd.DataFrame(pushed)
    assert detail.row_count == 200
    ks = {(r.column, r.test): r.statistic for r in detail.drift_results}
    exact = ks_2samp(reference["spend"], frame["spend"]).statistic
    assert ks[("spend", "ks")] == pytest.approx(exact, abs=1e-12)
    assert detail.compute is not None and detail.compute.partitions_total == 5
    metrics = {m.metric: m for m in detail.metrics}
    assert (metrics["accuracy"].sample_count, metrics["accuracy"].version) == (200, 2)
    assert metrics["accuracy"].value == pytest.approx(accuracy_score(truth, frame["prediction"]), abs=1e-15)
