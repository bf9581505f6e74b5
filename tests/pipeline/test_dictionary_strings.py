"""A `files` source reads its features' strings dictionary-encoded (pandas categoricals): every stored
result of a monitor's runs is the same as when the strings are read as plain strings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from monitor import pipeline
from monitor.drift.kinds import string_categories
from monitor.sources import files
from monitor.store import runs as run_store
from tests.conftest import DAY0, RuntimeFactory, monitor_config


def _stored(make_runtime: RuntimeFactory, url: str, tests: list[str]) -> list[dict[str, Any]]:
    runtime = make_runtime(monitor_config(url, tests=tests))
    outcomes = pipeline.backfill(
        runtime, "m", DAY0, DAY0 + timedelta(days=4), now=DAY0 + timedelta(days=10)
    ).runs
    assert [o.status for o in outcomes] == ["succeeded"] * 4
    stored = []
    with runtime.sessions() as session:
        for outcome in outcomes:
            found = run_store.get_run(session=session, run_id=outcome.run_id or -1)
            assert found is not None
            run = found[0]
            stored.append(
                {
                    "run": (run.row_count, run.drift_share, run.dataset_drifted),
                    "drift": sorted(
                        (
                            r.column_name,
                            r.kind,
                            r.test,
                            r.statistic,
                            r.p_value,
                            r.threshold,
                            r.drifted,
                            r.status,
                            repr(sorted(r.details.items())),
                        )
                        for r in run.drift_results
                    ),
                    "metrics": sorted(
                        (m.metric, m.version, m.value, m.ci_low, m.ci_high) for m in run.metric_values
                    ),
                    "quality": sorted(
                        (q.check, q.column_name, q.value, q.threshold, q.finding, q.message)
                        for q in run.quality_results
                    ),
                }
            )
    return stored


@pytest.mark.parametrize("tests", [["ks", "chi2", "psi"], ["auto"]])
def test_runs_store_the_same_results_whether_strings_are_read_as_categories(
    make_runtime: RuntimeFactory,
    monitor_files: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tests: list[str],
) -> None:
    source = files.FilesSource(monitor_files / "predictions.parquet", categories=lambda names: ["colour"])
    frame = source.read()
    assert string_categories(frame["colour"])  # the path under test is taken
    plain = pd.read_parquet(monitor_files / "predictions.parquet")
    assert frame["colour"].astype(object).equals(plain["colour"].astype(object))

    encoded = _stored(make_runtime, f"sqlite:///{tmp_path / 'encoded.db'}", tests)
    monkeypatch.setattr(files, "dictionary_features", lambda monitor: None)
    strings = _stored(make_runtime, f"sqlite:///{tmp_path / 'strings.db'}", tests)
    assert any(r[6] for run in strings for r in run["drift"] if r[0] == "colour")  # colour does drift
    assert encoded == strings
