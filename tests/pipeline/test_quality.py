"""Data quality in a run comes from the stored reference profile: the reference itself is not read."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import ks_2samp

from monitor import pipeline
from monitor.drift import ReferenceProfile
from monitor.pipeline import reference as profiles
from monitor.pipeline.runtime import Runtime
from monitor.store.engine import transaction
from monitor.store.tables import DriftResultRow, QualityResultRow, ReferenceProfileRow
from monitor.windows import Window
from tests.conftest import DAY0, RuntimeFactory, monitor_config
from tests.drift.test_profile import as_format_1

NOW = DAY0 + timedelta(days=10)


def day(n: int) -> Window:
    return Window(DAY0 + timedelta(days=n), DAY0 + timedelta(days=n + 1))


def scramble_keeping_size_and_time(path: Path) -> None:
    """Garbage of the same size and modification time: the profile's key (from the file's size
    and time) still matches, but any read of the file fails."""
    info = path.stat()
    path.write_bytes(b"\0" * info.st_size)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def window_rows(monitor_files: Path, window: Window) -> pd.DataFrame:
    log = pd.read_parquet(monitor_files / "predictions.parquet")
    return log[(log.timestamp >= window.start) & (log.timestamp < window.end)]


def assert_drift_and_quality(
    runtime: Runtime, run_id: int | None, reference: pd.DataFrame, current: pd.DataFrame
) -> None:
    with runtime.sessions() as session:
        ks = session.query(DriftResultRow).filter_by(run_id=run_id, column_name="x", test="ks").one()
        checks = {
            (q.check, q.column_name): q for q in session.query(QualityResultRow).filter_by(run_id=run_id)
        }
    assert ks.p_value == pytest.approx(ks_2samp(reference["x"], current["x"]).pvalue, abs=1e-9)
    out_of_range = checks[("out_of_range", "x")]
    assert (out_of_range.details["reference_min"], out_of_range.details["reference_max"]) == (
        reference["x"].min(),
        reference["x"].max(),
    )
    outside = ((current["x"] < reference["x"].min()) | (current["x"] > reference["x"].max())).mean()
    assert out_of_range.value == pytest.approx(outside, abs=1e-12)
    assert checks[("new_categories", "colour")].details["new_count"] == 0
    assert checks[("missing_share", "y")].details["reference_share"] == 0.0
    # The log's score and prediction are not in the reference (they are not among its columns).
    assert {c for c, _ in checks} >= {"row_count", "missing_share", "out_of_range", "new_categories"}
    assert checks[("new_column", "score")].finding


def test_a_new_process_with_a_stored_profile_never_reads_the_reference(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    reference_path = monitor_files / "reference.parquet"
    reference = pd.read_parquet(reference_path)
    first = make_runtime(monitor_config(db_url))
    assert pipeline.run_monitor(first, "m", day(0), now=NOW).status == "succeeded"
    first.close()  # the first process ends

    scramble_keeping_size_and_time(reference_path)
    with pytest.raises(Exception):  # noqa: B017 - whatever pyarrow says: the file cannot be read
        pd.read_parquet(reference_path)
    second = make_runtime(monitor_config(db_url))  # a restarted service: nothing in memory
    outcome = pipeline.run_monitor(second, "m", day(3), now=NOW)
    assert outcome.status == "succeeded", outcome.error
    assert_drift_and_quality(second, outcome.run_id, reference, window_rows(monitor_files, day(3)))
    with second.sessions() as session:
        assert session.query(ReferenceProfileRow).count() == 1  # the stored one, not built again


def test_the_next_scheduled_window_computes_with_the_reference_file_gone(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    reference_path = monitor_files / "reference.parquet"
    reference = pd.read_parquet(reference_path)
    runtime = make_runtime(monitor_config(db_url))
    assert pipeline.run_monitor(runtime, "m", day(0), now=NOW).status == "succeeded"
    reference_path.rename(monitor_files / "reference.parquet.moved")
    outcome = pipeline.run_monitor(runtime, "m", day(2), now=NOW, trigger="schedule")
    assert outcome.status == "succeeded", outcome.error
    assert_drift_and_quality(runtime, outcome.run_id, reference, window_rows(monitor_files, day(2)))
    # Nor does the process keep the reference's data: the runtime holds no DataFrame, even in a cache.
    held = [
        v
        for value in vars(runtime).values()
        for v in (value.values() if isinstance(value, dict) else [value])
    ]
    assert not any(isinstance(value, pd.DataFrame) for value in held)


@pytest.mark.parametrize("stored", ["format_1", "damaged"])
def test_a_stored_profile_of_the_older_format_or_damaged_is_built_again(
    stored: str,
    db_url: str,
    monitor_files: Path,
    make_runtime: RuntimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with monkeypatch.context() as patch:
        if stored == "format_1":  # a release before the quality facts keyed its profiles by format 1
            patch.setattr(profiles, "PROFILE_FORMAT", 1)
        first = make_runtime(monitor_config(db_url))
        assert pipeline.run_monitor(first, "m", day(0), now=NOW).status == "succeeded"
        with transaction(first.sessions) as session:
            row = session.query(ReferenceProfileRow).one()
            row.payload = as_format_1(row.payload) if stored == "format_1" else b"damaged"
            old_key = row.profile_key
        first.close()  # that release's process ends
    second = make_runtime(monitor_config(db_url))
    outcome = pipeline.run_monitor(second, "m", day(3), now=NOW)
    assert outcome.status == "succeeded", outcome.error
    reference = pd.read_parquet(monitor_files / "reference.parquet")
    assert_drift_and_quality(second, outcome.run_id, reference, window_rows(monitor_files, day(3)))
    with second.sessions() as session:
        (row,) = session.query(ReferenceProfileRow).all()  # the new one replaced the old
    assert (row.profile_key == old_key) == (stored == "damaged")
    assert ReferenceProfile.from_bytes(row.payload).quality.column_names == ("x", "y", "colour")


def test_without_listed_features_the_reference_label_columns_are_no_features(
    sqlite_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    # A training set as references often are: features with the labels and when they became known.
    reference = pd.read_parquet(monitor_files / "reference.parquet")
    reference.assign(label=1, labelled_at=DAY0).to_parquet(monitor_files / "reference.parquet")
    config = monitor_config(sqlite_url)
    del config["monitors"]["m"]["schema"]
    runtime = make_runtime(config)
    outcome = pipeline.run_monitor(runtime, "m", day(0), now=NOW)
    assert outcome.status == "succeeded", outcome.error
    with runtime.sessions() as session:
        checks = {
            (q.check, q.column_name) for q in session.query(QualityResultRow).filter_by(run_id=outcome.run_id)
        }
        drifted = {r.column_name for r in session.query(DriftResultRow).filter_by(run_id=outcome.run_id)}
    assert not [c for c in checks if c[0] == "missing_column"]
    assert drifted == {"x", "y", "colour"}


def test_a_column_new_in_the_data_is_reported_though_the_run_does_not_read_it(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    log = pd.read_parquet(monitor_files / "predictions.parquet").assign(shoe_size=44.0)
    log.to_parquet(monitor_files / "predictions.parquet")
    runtime = make_runtime(monitor_config(db_url))
    read = runtime.source("m").read(day(0).start, day(0).end, time_column="timestamp")
    assert "shoe_size" not in read.columns  # not a feature, nor a role: not read
    outcome = pipeline.run_monitor(runtime, "m", day(0), now=NOW)
    assert outcome.status == "succeeded", outcome.error
    with runtime.sessions() as session:
        rows = session.query(QualityResultRow).filter_by(run_id=outcome.run_id, check="new_column")
        new = {q.column_name for q in rows}
    reference = pd.read_parquet(monitor_files / "reference.parquet")
    # Times and ids are never new; the outputs (score, prediction) the reference lacks are.
    assert new == set(log.columns) - set(reference.columns) - {"timestamp", "prediction_id"}
    assert "shoe_size" in new
