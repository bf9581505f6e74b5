"""Drift settings from the config file to the results, and reference profiles stored and reused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from monitor import pipeline
from monitor.config import ConfigError, parse_config
from monitor.drift import ColumnKind, LearnedOptions, MonteCarloOptions
from monitor.pipeline import reference as profiles
from monitor.pipeline.reference import profile_key, reference_fingerprint
from monitor.pipeline.runtime import Runtime
from monitor.store.tables import DriftResultRow, ReferenceProfileRow
from monitor.windows import Window
from tests.conftest import DAY0, RuntimeFactory, monitor_config

NOW = DAY0 + timedelta(days=10)


def day(n: int) -> Window:
    return Window(DAY0 + timedelta(days=n), DAY0 + timedelta(days=n + 1))


def test_config_drift_block_becomes_drift_options() -> None:
    data = monitor_config("sqlite://")
    data["monitors"]["m"]["drift"] = {
        "tests": ["auto", "hellinger"],
        "thresholds": {"hellinger": "learned", "ks": 0.01},
        "columns": {"y": {"kind": "categorical", "tests": ["chi2"], "thresholds": {"chi2": 0.2}}},
        "correction": "benjamini-hochberg",
        "learned": {"chunks": 5, "std_multiplier": 2.5},
    }
    config = parse_config(data, base_dir=Path("."))
    options = pipeline.drift_options(config.monitors["m"].drift, ["x", "y"])
    assert options.tests == ("auto", "hellinger")
    assert options.thresholds == {"hellinger": "learned", "ks": 0.01}
    assert options.columns["y"].kind is ColumnKind.CATEGORICAL and options.columns["y"].tests == ("chi2",)
    assert options.threshold_for("y", "chi2", 0.05) == 0.2
    assert options.correction == "benjamini-hochberg"
    assert options.learned == LearnedOptions(chunks=5, std_multiplier=2.5)
    assert options.include == ("x", "y")


def test_defaults_are_auto_with_its_false_discovery_control() -> None:
    data = monitor_config("sqlite://")
    del data["monitors"]["m"]["drift"]
    drift = parse_config(data, base_dir=Path(".")).monitors["m"].drift
    assert drift.tests == ["auto"] and drift.correction == "auto"
    options = pipeline.drift_options(drift, ["x"])
    assert options.correction == "auto" and options.reference_band == 0.9
    assert options.monte_carlo == MonteCarloOptions()


def test_the_reference_band_can_be_switched_off_and_monte_carlo_set() -> None:
    data = monitor_config("sqlite://")
    data["monitors"]["m"]["drift"] = {
        "correction": "benjamini-yekutieli",
        "reference_band": None,
        "monte_carlo": {"resamples": 999, "exceedances": 5, "seed": 7},
    }
    options = pipeline.drift_options(parse_config(data, base_dir=Path(".")).monitors["m"].drift, ["x"])
    assert options.correction == "benjamini-yekutieli" and options.reference_band is None
    assert options.monte_carlo == MonteCarloOptions(resamples=999, exceedances=5, seed=7)
    data["monitors"]["m"]["drift"] = {"reference_band": 1.5, "correction": "bonferroni"}
    with pytest.raises(ConfigError) as caught:
        parse_config(data, base_dir=Path("."))
    paths = dict(caught.value.errors)
    assert "monitors.m.drift.reference_band" in paths and "monitors.m.drift.correction" in paths


def test_unknown_test_names_in_the_config_are_errors_with_their_path() -> None:
    data = monitor_config("sqlite://")
    data["monitors"]["m"]["drift"] = {
        "tests": ["ks", "kss"],
        "thresholds": {"auto": 0.1},
        "columns": {"x": {"thresholds": {"psy": 1}}},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(data, base_dir=Path("."))
    paths = dict(caught.value.errors)
    assert "unknown drift test(s) kss" in paths["monitors.m.drift.tests"]
    assert "unknown drift test(s) psy" in paths["monitors.m.drift.columns.x.thresholds"]
    assert "unknown drift test(s) auto" in paths["monitors.m.drift.thresholds"]


def test_kind_override_from_config_reaches_the_results(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    data = monitor_config(db_url, columns={"y": {"kind": "categorical"}})
    runtime = make_runtime(data)
    outcome = pipeline.run_monitor(runtime, "m", day(0), now=NOW)
    assert outcome.status == "succeeded"
    with runtime.sessions() as session:
        rows = session.query(DriftResultRow).filter_by(run_id=outcome.run_id).all()
    assert {(r.column_name, r.test, r.kind) for r in rows if r.column_name == "y"} == {
        ("y", "chi2", "categorical"),
        ("y", "psi", "categorical"),
    }


def test_the_profile_is_stored_and_a_later_process_reads_only_the_window(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = monitor_config(db_url)
    first = make_runtime(data)
    assert pipeline.run_monitor(first, "m", day(0), now=NOW).status == "succeeded"
    with first.sessions() as session:
        (row,) = session.query(ReferenceProfileRow).all()
        assert row.reference_rows == 3000 and row.columns == ["x", "y", "colour"]
    first.close()  # the first process ends

    def refuse(runtime: Runtime, name: str) -> pd.DataFrame:
        raise AssertionError("the reference was read although its profile is stored")

    monkeypatch.setattr(profiles, "read_reference", refuse)
    second = make_runtime(data)
    outcome = pipeline.run_monitor(second, "m", day(3), now=NOW)
    assert outcome.status == "succeeded", outcome.error
    reference = pd.read_parquet(monitor_files / "reference.parquet")
    log = pd.read_parquet(monitor_files / "predictions.parquet")
    current = log[(log.timestamp >= day(3).start) & (log.timestamp < day(3).end)]
    with second.sessions() as session:
        ks = session.query(DriftResultRow).filter_by(run_id=outcome.run_id, column_name="x", test="ks").one()
    assert ks.p_value == pytest.approx(ks_2samp(reference["x"], current["x"]).pvalue, abs=1e-9)


def test_a_changed_reference_or_setting_builds_a_new_profile(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    runtime = make_runtime(monitor_config(db_url))
    pipeline.run_monitor(runtime, "m", day(0), now=NOW)
    rng = np.random.default_rng(3)
    pd.DataFrame(
        {"x": rng.normal(5, 1, 1000), "y": rng.normal(5, 2, 1000), "colour": rng.choice(["red"], 1000)}
    ).to_parquet(monitor_files / "reference.parquet")
    outcome = pipeline.run_monitor(runtime, "m", day(1), now=NOW)
    assert outcome.status == "succeeded" and "x" in outcome.drifted_columns
    with runtime.sessions() as session:
        rows = session.query(ReferenceProfileRow).all()
        assert [r.reference_rows for r in rows] == [1000]  # the old one is gone
    runtime.close()  # the service restarts with a changed setting
    changed = make_runtime(monitor_config(db_url, drift_share=0.9))
    pipeline.run_monitor(changed, "m", day(2), now=NOW)
    with changed.sessions() as session:
        keys = [r.profile_key for r in session.query(ReferenceProfileRow).all()]
    assert len(keys) == 1
    assert keys[0] == profile_key(changed.monitor("m"), reference_fingerprint(changed, "m") or "")
