"""Delayed ground truth end to end: a classification log in a SQL database and a regression log in
partitioned Parquet, both degrading over time; every stored metric is checked against scikit-learn
before and after late labels arrive, at every label checkpoint a window gets a version at, and the
history of versions is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sklearn import metrics as skm

from monitor import pipeline
from monitor.config import MonitorConfig
from monitor.metrics.partial import merge_all, merged_metrics
from monitor.pipeline.label_refresh import refresh_late_labels
from monitor.pipeline.labels import metric_settings, window_metrics, window_partial
from monitor.pipeline.runtime import Runtime
from monitor.services import scheduling
from monitor.store import alerts as alert_store
from monitor.store import monitors as monitor_store
from monitor.store.label_tables import WindowIdRow
from monitor.store.tables import MetricValueRow, MonitorRow, QualityResultRow, RunRow
from monitor.web.app import create_app
from monitor.windows import Window
from tests.conftest import RuntimeFactory
from tests.servers import serving

DAY0 = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 8
ROWS = 300
NOW1 = DAY0 + timedelta(days=DAYS, hours=1)  # the first computation of every window
NOW2 = DAY0 + timedelta(days=DAYS + 2, hours=1)  # two days of late labels later
REGRESSION_HORIZON = timedelta(days=5)
CLASSIFICATION_HORIZON = timedelta(days=14)  # the default
DELAY = timedelta(minutes=5)  # the schedule's default: a window is run this long after it ends
STEP = timedelta(hours=6)  # labels.recompute_every: the grid of label checkpoints (0, 6, 12, 18 h UTC)
CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _labels(rng: np.random.Generator, log: pd.DataFrame, truth: np.ndarray) -> pd.DataFrame:
    """Labels 1 to 6 days after each prediction; 10% of predictions never get one."""
    labelled = rng.random(len(log)) >= 0.1
    delay = pd.to_timedelta(rng.uniform(1, 6, len(log)), unit="D")
    return pd.DataFrame(
        {"prediction_id": log["prediction_id"], "label": truth, "labelled_at": log["timestamp"] + delay}
    )[labelled].reset_index(drop=True)


def classification_log() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(41)
    days = []
    for day in range(DAYS):
        x1, x2 = rng.normal(size=ROWS), rng.normal(size=ROWS)
        logit = 1.5 * x1 - x2
        decay = day / DAYS  # the world drifts away from the model: its quality degrades
        truth = (rng.random(ROWS) < _sigmoid((1 - decay) * logit + decay * rng.normal(0, 2, ROWS))).astype(
            int
        )
        score = _sigmoid(logit)
        seconds = np.sort(rng.uniform(0, 86_400, ROWS))
        days.append(
            pd.DataFrame(
                {
                    "timestamp": pd.Timestamp(DAY0 + timedelta(days=day))
                    + pd.to_timedelta(seconds, unit="s"),
                    "x1": x1,
                    "x2": x2,
                    "colour": rng.choice(["red", "green"], ROWS),
                    "score": score,
                    "prediction": (score >= 0.5).astype(int),
                    "_truth": truth,
                }
            )
        )
    log = pd.concat(days, ignore_index=True)
    log.insert(0, "prediction_id", [f"c{i}" for i in range(len(log))])
    labels = _labels(rng, log, log.pop("_truth").to_numpy())
    return log, labels


def regression_log() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(42)
    days = []
    for day in range(DAYS):
        f1, f2 = rng.uniform(1, 10, ROWS), rng.normal(5, 1, ROWS)
        prediction = 3 * f1 + 2 * f2
        actual = prediction + rng.normal(0, 1 + day, ROWS)  # errors grow day by day
        days.append(
            pd.DataFrame(
                {
                    "timestamp": pd.Timestamp(DAY0 + timedelta(days=day))
                    + pd.to_timedelta(np.sort(rng.uniform(0, 86_400, ROWS)), unit="s"),
                    "f1": f1,
                    "f2": f2,
                    "prediction": prediction,
                    "_actual": actual,
                }
            )
        )
    log = pd.concat(days, ignore_index=True)
    log.insert(0, "prediction_id", [f"r{i}" for i in range(len(log))])
    labels = _labels(rng, log, log.pop("_actual").to_numpy())
    reference = pd.DataFrame({"f1": rng.uniform(1, 10, 2000), "f2": rng.normal(5, 1, 2000)})
    reference["prediction"] = 3 * reference.f1 + 2 * reference.f2
    return log, labels, reference


@pytest.fixture
def logs(db_url: str, tmp_path: Path) -> dict[str, pd.DataFrame]:
    clf, clf_labels = classification_log()
    engine = sa.create_engine(db_url)
    naive = {"timestamp": clf.timestamp.dt.tz_localize(None)}
    clf.assign(**naive).to_sql("clf_predictions", engine, index=False)
    clf_labels.assign(labelled_at=clf_labels.labelled_at.dt.tz_localize(None)).to_sql(
        "clf_labels", engine, index=False
    )
    engine.dispose()
    reg, reg_labels, reference = regression_log()
    for day, frame in reg.groupby(reg.timestamp.dt.date):
        folder = tmp_path / "regression" / f"dt={day.isoformat()}"
        folder.mkdir(parents=True)
        frame.to_parquet(folder / "part-0.parquet", index=False)
    reg_labels.to_parquet(tmp_path / "regression_labels.parquet")
    reference.to_parquet(tmp_path / "regression_reference.parquet")
    return {"clf": clf, "clf_labels": clf_labels, "reg": reg, "reg_labels": reg_labels}


def config(db_url: str) -> dict[str, Any]:
    return {
        "database": {"url": db_url},
        "monitors": {
            "clf": {
                "model": "clf",
                "source": {"type": "sql", "url": db_url, "table": "clf_predictions", "chunk_size": 100},
                "labels": {
                    "source": {"type": "sql", "url": db_url, "table": "clf_labels"},
                    "recompute_every": "6h",
                },
                # A fixed past period of the log itself is the reference.
                "reference": {
                    "type": "period",
                    "start": DAY0.isoformat(),
                    "end": (DAY0 + timedelta(days=2)).isoformat(),
                },
                "schema": {"features": ["x1", "x2", "colour"]},
            },
            "reg": {
                "model": "reg",
                "task": "regression",
                "source": {"type": "files", "path": "regression/**/*.parquet"},
                "labels": {
                    "source": {"type": "files", "path": "regression_labels.parquet"},
                    "horizon": f"{REGRESSION_HORIZON.days}d",
                    "recompute_every": "6h",
                },
                "reference": {"type": "files", "path": "regression_reference.parquet"},
                "schema": {"features": ["f1", "f2"], "score_column": None},
            },
        },
    }


@pytest.fixture
def runtime(db_url: str, logs: dict[str, pd.DataFrame], make_runtime: RuntimeFactory) -> Runtime:
    return make_runtime(config(db_url), now=DAY0)


def _checkpoint(moment: datetime) -> datetime:
    """The latest checkpoint at or before `moment`, computed by hand: 00, 06, 12 or 18 h UTC."""
    return moment.replace(hour=moment.hour - moment.hour % 6, minute=0, second=0, microsecond=0)


def expected_checkpoints(
    log: pd.DataFrame, labels: pd.DataFrame, day: int, *, through: datetime, horizon: timedelta
) -> list[datetime]:
    """The checkpoints a window has a metrics version as of, computed from the data: when it ran (its
    end plus the delay, on the 6-hour grid), then the checkpoint after each moment one of its labels
    became known, up to `through` and the end of its label horizon."""
    end = DAY0 + timedelta(days=day + 1)
    first = _checkpoint(min(end + DELAY, through))
    last = min(_checkpoint(through), _checkpoint(end + horizon))
    joined = _window(log, day).merge(labels, on="prediction_id")
    later = {
        _checkpoint(t.to_pydatetime(warn=False)) + STEP
        for t in joined.labelled_at
        if t >= pd.Timestamp(first)
    }
    return [first, *sorted(c for c in later if c <= last)]


def expected_classification(
    log: pd.DataFrame, labels: pd.DataFrame, day: int, as_of: datetime
) -> dict[str, Any]:
    rows = _window(log, day)
    known = labels[labels.labelled_at < pd.Timestamp(as_of)]
    joined = rows.merge(known, on="prediction_id")
    if joined.empty:  # the window's labels are all still to come
        return {m: None for m in CLASSIFICATION} | {"_labelled": 0, "_rows": len(rows)}
    y, score, pred = joined.label, joined.score, joined.prediction
    if len(joined) < 30:  # the first few labels: some metrics or their intervals are undefined
        return {"_labelled": len(joined), "_rows": len(rows), "_few": True}
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "roc_auc": skm.roc_auc_score(y, score),
        "pr_auc": skm.average_precision_score(y, score),
        "log_loss": skm.log_loss(y, score),
        "brier": skm.brier_score_loss(y, score),
        "_labelled": len(joined),
        "_rows": len(rows),
    }


def expected_regression(log: pd.DataFrame, labels: pd.DataFrame, day: int, as_of: datetime) -> dict[str, Any]:
    rows = _window(log, day)
    known = labels[labels.labelled_at < pd.Timestamp(as_of)]
    joined = rows.merge(known, on="prediction_id")
    if joined.empty:
        return {m: None for m in ("mae", "rmse", "mape", "r2")} | {"_labelled": 0, "_rows": len(rows)}
    if len(joined) < 30:  # the first few labels: R² or intervals may be undefined
        return {"_labelled": len(joined), "_rows": len(rows), "_few": True}
    y, p = joined.label, joined.prediction
    return {
        "mae": skm.mean_absolute_error(y, p),
        "rmse": np.sqrt(skm.mean_squared_error(y, p)),
        "mape": skm.mean_absolute_percentage_error(y, p),
        "r2": skm.r2_score(y, p),
        "_labelled": len(joined),
        "_rows": len(rows),
    }


def _window(log: pd.DataFrame, day: int) -> pd.DataFrame:
    start = pd.Timestamp(DAY0 + timedelta(days=day))
    return log[(log.timestamp >= start) & (log.timestamp < start + pd.Timedelta(days=1))]


def stored_metrics(runtime: Runtime, monitor: str) -> dict[int, dict[int, dict[str, MetricValueRow]]]:
    """{day: {version: {metric: row}}}"""
    out: dict[int, dict[int, dict[str, MetricValueRow]]] = {}
    with runtime.sessions() as session:
        rows = session.execute(
            sa.select(RunRow.window_start, MetricValueRow)
            .join(MetricValueRow, MetricValueRow.run_id == RunRow.id)
            .join(MonitorRow, MonitorRow.id == RunRow.monitor_id)
            .where(MonitorRow.name == monitor)
        ).all()
    for start, row in rows:
        day = (start - DAY0).days
        out.setdefault(day, {}).setdefault(row.version, {})[row.metric] = row
    return out


def check(stored: dict[str, MetricValueRow], expected: dict[str, Any]) -> None:
    coverage = expected["_labelled"] / expected["_rows"]
    if expected.get("_few"):
        assert {(r.sample_count, r.label_coverage) for r in stored.values()} == {
            (expected["_labelled"], coverage)
        }
        return
    for metric, value in expected.items():
        if metric.startswith("_"):
            continue
        row = stored[metric]
        if value is None:
            assert (row.value, row.status, row.sample_count) == (None, "no_labels", 0), metric
            continue
        assert row.value == pytest.approx(value, abs=1e-9), metric
        assert (row.status, row.sample_count) == ("ok", expected["_labelled"]), metric
        assert row.label_coverage == pytest.approx(coverage, abs=1e-12)
        assert row.value is not None and row.ci_low is not None and row.ci_high is not None
        assert row.ci_low <= row.value <= row.ci_high
    assert set(stored) == {m for m in expected if not m.startswith("_")}


def check_versions(
    runtime: Runtime, logs: dict[str, pd.DataFrame], *, through: datetime
) -> dict[str, dict[int, dict[int, dict[str, MetricValueRow]]]]:
    """Every stored version of every window is as of the checkpoints the data calls for, and equals
    scikit-learn on the labels known before its checkpoint."""
    stored = {"clf": stored_metrics(runtime, "clf"), "reg": stored_metrics(runtime, "reg")}
    cases = (
        ("clf", expected_classification, CLASSIFICATION_HORIZON),
        ("reg", expected_regression, REGRESSION_HORIZON),
    )
    for name, expected, horizon in cases:
        log, labels = logs[name], logs[f"{name}_labels"]
        for day in range(DAYS):
            versions = stored[name][day]
            points = expected_checkpoints(log, labels, day, through=through, horizon=horizon)
            assert sorted(versions) == list(range(1, len(points) + 1)), (name, day)
            for number, point in enumerate(points, 1):
                assert {r.labels_as_of for r in versions[number].values()} == {point}, (name, day, number)
                check(versions[number], expected(log, labels, day, point))
    return stored


def test_every_metric_before_and_after_late_labels(runtime: Runtime, logs: dict[str, pd.DataFrame]) -> None:
    for name in ("clf", "reg"):
        outcomes = pipeline.backfill(runtime, name, DAY0, DAY0 + timedelta(days=DAYS), now=NOW1).runs
        assert [o.status for o in outcomes] == ["succeeded"] * DAYS, [o.error for o in outcomes]
    # A backfill replays the label stream: each window's first metrics count the labels known when it
    # would have run, and each later checkpoint at which more became known adds a version.
    before = check_versions(runtime, logs, through=NOW1)
    first_day_versions = len(before["clf"][0])
    assert first_day_versions > 15  # labels trickle in over days
    assert {r.label_coverage for r in before["clf"][DAYS - 1][1].values()} == {0.0}  # ran before any label
    # Quality degrades: the last fully labelled day is worse than the first.
    latest = {name: {d: v[max(v)] for d, v in before[name].items()} for name in before}
    first_auc, last_auc = latest["clf"][0]["roc_auc"].value, latest["clf"][5]["roc_auc"].value
    first_mae, last_mae = latest["reg"][0]["mae"].value, latest["reg"][5]["mae"].value
    assert first_auc is not None and last_auc is not None and first_auc > last_auc + 0.1
    assert first_mae is not None and last_mae is not None and last_mae > 3 * first_mae

    # Two days later: the scheduler's tick pulls the labels that came since and adds their versions.
    runtime.clock = lambda: NOW2
    scheduling.tick(runtime, "clf")
    refreshed = refresh_late_labels(runtime, "reg", now=NOW2)
    after = check_versions(runtime, logs, through=NOW2)
    for day in range(DAYS):
        # History kept, never overwritten.
        for number, rows in before["clf"][day].items():
            assert {m: r.value for m, r in after["clf"][day][number].items()} == {
                m: r.value for m, r in rows.items()
            }
    # The regression monitor's horizon is 5 days: older windows stayed final though labels came late.
    grew = {day for day in range(DAYS) if len(after["reg"][day]) > len(before["reg"][day])}
    assert {(r.window.start - DAY0).days for r in refreshed} == grew
    assert grew and all(DAY0 + timedelta(days=day + 1) + REGRESSION_HORIZON > NOW1 for day in grew)
    late_but_final = len(_window(logs["reg"], 0).merge(logs["reg_labels"], on="prediction_id"))
    assert late_but_final > latest["reg"][0]["mae"].sample_count  # labels came after its horizon

    # A second tick right away changes nothing: no checkpoint has passed.
    assert refresh_late_labels(runtime, "clf", now=NOW2 + timedelta(minutes=1)) == []


def test_the_run_api_shows_the_latest_version_and_the_history(runtime: Runtime) -> None:
    pipeline.backfill(runtime, "clf", DAY0, DAY0 + timedelta(days=DAYS), now=NOW1)
    refresh_late_labels(runtime, "clf", now=NOW2)
    versions = stored_metrics(runtime, "clf")
    day = DAYS - 1
    newest = max(versions[day])
    with runtime.sessions() as session:
        (run_id,) = session.scalars(
            sa.select(RunRow.id).where(RunRow.window_start == (DAY0 + timedelta(days=day)))
        ).all()
    with serving(create_app(runtime)) as server, server.client() as http:
        run = http.get(f"/api/v1/runs/{run_id}").json()
        page = http.get(f"/runs/{run_id}").text
    latest = {m["metric"]: m for m in run["metrics"]}
    assert {m["version"] for m in run["metrics"]} == {newest} and newest > 2
    assert latest["roc_auc"]["value"] == versions[day][newest]["roc_auc"].value
    assert [(m["version"], m["metric"]) for m in run["metric_history"]][:2] == [
        (1, "accuracy"),
        (1, "precision"),
    ]
    assert len(run["metric_history"]) == 8 * newest
    assert run["labelled_count"] == versions[day][newest]["accuracy"].sample_count
    assert 'id="metric-history"' in page and f"v{newest}" in page
    assert {q["check"] for q in run["quality"]} >= {
        "row_count",
        "missing_share",
        "out_of_range",
        "new_categories",
    }
    assert {(d["column"], d["role"]) for d in run["output_drift"]} == {
        ("prediction", "output"),
        ("score", "output"),
    }


def test_an_empty_window_is_a_stored_quality_finding(runtime: Runtime) -> None:
    outcome = pipeline.run_monitor(
        runtime, "reg", Window(DAY0 + timedelta(days=30), DAY0 + timedelta(days=31)), now=NOW2
    )
    assert outcome.status == "succeeded" and outcome.quality_findings == ("the window has no rows",)
    with runtime.sessions() as session:
        (row,) = session.scalars(
            sa.select(QualityResultRow).where(QualityResultRow.run_id == outcome.run_id)
        ).all()
    assert (row.check, row.finding, row.value) == ("row_count", True, 0)


def test_alert_baselines_see_only_the_latest_version_of_each_window(runtime: Runtime) -> None:
    pipeline.backfill(runtime, "clf", DAY0, DAY0 + timedelta(days=DAYS), now=NOW1)
    refresh_late_labels(runtime, "clf", now=NOW2)
    versions = stored_metrics(runtime, "clf")
    with runtime.sessions() as session:
        monitor_id = monitor_store.monitor_id(session=session, name="clf")
        assert monitor_id is not None
        history = alert_store.metric_history(
            session=session, monitor_id=monitor_id, metrics=["roc_auc"], before=NOW2
        )
    points = history["roc_auc"]
    assert [(p.window_start - DAY0).days for p in points] == sorted(
        {d for d, v in versions.items() if v[max(v)]["roc_auc"].value is not None}
    )
    for point in points:
        latest = versions[(point.window_start - DAY0).days]
        assert point.value == latest[max(latest)]["roc_auc"].value


def test_a_window_computed_before_the_label_stream_still_gets_its_late_labels(
    runtime: Runtime, logs: dict[str, pd.DataFrame]
) -> None:
    pipeline.backfill(runtime, "clf", DAY0, DAY0 + timedelta(days=DAYS), now=NOW1)
    day = DAYS - 1
    with runtime.sessions() as session, session.begin():
        # As an upgrade leaves a window computed by the previous version: no ids, no checkpoint.
        run_id = session.scalar(sa.select(RunRow.id).where(RunRow.window_start == DAY0 + timedelta(days=day)))
        session.execute(sa.delete(WindowIdRow).where(WindowIdRow.run_id == run_id))
        session.execute(
            sa.update(RunRow).where(RunRow.id == run_id).values(labels_as_of=None, labels_pulled_through=None)
        )
    before = stored_metrics(runtime, "clf")[day]
    refresh_late_labels(runtime, "clf", now=NOW2)
    after = stored_metrics(runtime, "clf")[day]
    # One new version, as of the current checkpoint, with every label known by then.
    assert sorted(after) == [*sorted(before), max(before) + 1]
    as_of = _checkpoint(NOW2)
    assert {r.labels_as_of for r in after[max(after)].values()} == {as_of}
    check(after[max(after)], expected_classification(logs["clf"], logs["clf_labels"], day, as_of))


def _monitor(task: str, **extra: Any) -> MonitorConfig:
    files = {"type": "files", "path": "/nonexistent.parquet"}
    return MonitorConfig.model_validate(
        {
            "model": "m",
            "source": files,
            "reference": files,
            "labels": {"source": files},
            "task": task,
            **extra,
        }
    )


@pytest.mark.parametrize("task", ["binary_classification", "multiclass_classification", "regression"])
def test_merged_summaries_of_a_windows_pieces_give_its_metrics(task: str) -> None:
    rng = np.random.default_rng(12)
    n = 900
    proba = rng.dirichlet([2, 2, 2], n)
    labelled = pd.DataFrame(
        {
            "label": rng.integers(0, 3 if task == "multiclass_classification" else 2, n).astype(float),
            "prediction": proba.argmax(axis=1),
            "score": proba[:, 1],
            **{f"p{k}": proba[:, k] for k in range(3)},
        }
    )
    extra = {"schema": {"class_score_columns": {str(k): f"p{k}" for k in range(3)}}}
    monitor = _monitor(task, **(extra if task == "multiclass_classification" else {}))
    settings = metric_settings(monitor)
    pieces = [window_partial(monitor, labelled.iloc[a:b], settings) for a, b in ((0, 0), (0, 350), (350, n))]
    merged = merged_metrics(merge_all(task, pieces), settings)
    expected = window_metrics(monitor, labelled)
    assert [m.value.metric for m in merged] == [e.metric for e in expected] == monitor.metrics
    for found, local in zip(merged, expected, strict=True):
        f = found.value
        assert (f.metric, f.status, f.sample_count) == (local.metric, local.status, local.sample_count)
        if found.exact:
            numbers = [(f.value, local.value), (f.ci_low, local.ci_low), (f.ci_high, local.ci_high)]
            assert all(a == b or a == pytest.approx(b, abs=1e-9) for a, b in numbers)
        else:
            assert found.value.value is not None and local.value is not None and found.bound is not None
            assert abs(found.value.value - local.value) <= found.bound
