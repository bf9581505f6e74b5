"""Late labels in data time, end to end on real files and a real database (SQLite and PostgreSQL).

A log of one window a day, each prediction's label known exactly a day after it, in time order. On
day 2 the model is right on the first 80% of the day (7 in 10) and wrong on the rest (3 in 10 right):
at 80% label coverage its accuracy is 0.70, above the rule's 0.65, and its final accuracy 0.62.

- Judged too early: the rule judges day 2 when 80% of it is labelled (a pass), and again at each
  later version: the verdict turns, and the alert fires then, naming the version and coverage.
- Replay: a backfill of the history, with the labels known after its `now` held back and released
  later, stores the same metric versions and alert history as the service living through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor import pipeline
from monitor.pipeline.runtime import Runtime
from monitor.services import scheduling
from monitor.store.tables import AlertEventRow, AlertRow, MetricValueRow, OutboxRow, RunRow
from tests.conftest import RuntimeFactory

DAY0 = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 5
ROWS = 240  # one prediction every 6 minutes
BAD_DAY = 2
THRESHOLD = 0.65
END = DAY0 + timedelta(days=DAYS + 2)  # every label is known by then


def prediction_log() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(12)
    days = []
    for day in range(DAYS):
        i = np.arange(ROWS)
        late_in_day = i >= 0.8 * ROWS
        right = np.where(
            late_in_day & (day == BAD_DAY), i % 10 < 3, i % 10 < 7 if day == BAD_DAY else i % 10 < 8
        )
        truth = rng.integers(0, 2, ROWS)
        days.append(
            pd.DataFrame(
                {
                    "timestamp": pd.Timestamp(DAY0 + timedelta(days=day))
                    + pd.to_timedelta(i * 360 + 1, unit="s"),
                    "x": rng.normal(size=ROWS),
                    "prediction": np.where(right, truth, 1 - truth),
                    "_truth": truth,
                }
            )
        )
    log = pd.concat(days, ignore_index=True)
    log.insert(0, "prediction_id", [f"p{i}" for i in range(len(log))])
    labels = pd.DataFrame(
        {
            "prediction_id": log.prediction_id,
            "label": log.pop("_truth"),
            "labelled_at": log.timestamp + timedelta(days=1),
        }
    )
    return log, labels


@pytest.fixture
def data(tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    log, labels = prediction_log()
    log.to_parquet(tmp_path / "predictions.parquet")
    pd.DataFrame({"x": np.random.default_rng(3).normal(size=1000)}).to_parquet(tmp_path / "reference.parquet")
    return log, labels


@pytest.fixture
def other_db_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second empty database of the same kind, for the second way of living through the data."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'replay.db'}"
        return
    admin: sa.Engine = request.getfixturevalue("postgres_admin")
    name = "monitor_replay_" + db_url.rsplit("_", 1)[-1]
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def config(db_url: str, labels_file: str) -> dict[str, Any]:
    return {
        "database": {"url": db_url},
        "notifiers": {"log": {"type": "log"}},
        "monitors": {
            "m": {
                "model": "toy",
                "source": {"type": "files", "path": "predictions.parquet"},
                "labels": {"source": {"type": "files", "path": labels_file}},
                "reference": {"type": "files", "path": "reference.parquet"},
                "schema": {"features": ["x"], "score_column": None},
                "metrics": ["accuracy"],
                "alerts": [
                    {
                        "name": "accuracy-low",
                        "signal": "metric",
                        "metric": "accuracy",
                        "op": "<",
                        "threshold": THRESHOLD,
                        "notify": ["log"],
                    }
                ],
            }
        },
    }


def live(runtime: Runtime, start: datetime, end: datetime) -> None:
    """The scheduler's tick every 3 hours, 10 minutes past, from `start` to `end`. What is stored
    depends on when labels became known, not on when the service looked (checkpoints are hourly)."""
    moment = start.replace(minute=10)
    while moment < end:
        runtime.clock = lambda moment=moment: moment  # type: ignore[misc]
        scheduling.tick(runtime, "m")
        moment += timedelta(hours=3)


def stored(runtime: Runtime) -> dict[str, Any]:
    """What a user sees afterwards, without the wall-clock stamps of when it was written."""
    with runtime.sessions() as session:
        runs = session.execute(
            sa.select(RunRow.id, RunRow.window_start, RunRow.status, RunRow.row_count).order_by(
                RunRow.window_start
            )
        ).all()
        day = {run_id: (start.replace(tzinfo=UTC) - DAY0).days for run_id, start, _, _ in runs}
        versions = session.execute(
            sa.select(
                MetricValueRow.run_id,
                MetricValueRow.version,
                MetricValueRow.value,
                MetricValueRow.label_coverage,
                MetricValueRow.sample_count,
                MetricValueRow.labels_as_of,
            ).order_by(MetricValueRow.run_id, MetricValueRow.version)
        ).all()
        events = session.execute(
            sa.select(
                AlertRow.rule,
                AlertEventRow.event,
                AlertEventRow.window_end,
                AlertEventRow.value,
                AlertEventRow.details,
            )
            .join(AlertRow, AlertRow.id == AlertEventRow.alert_id)
            .order_by(AlertEventRow.id)
        ).all()
        alerts = session.execute(sa.select(AlertRow.rule, AlertRow.state, AlertRow.value)).all()
        outbox = session.scalars(sa.select(OutboxRow.payload).order_by(OutboxRow.id)).all()
    return {
        "runs": [(day[i], status, rows) for i, _, status, rows in runs],
        "versions": [(day[r], v, value, cov, n, at) for r, v, value, cov, n, at in versions],
        "events": [tuple(e) for e in events],
        "alerts": [tuple(a) for a in alerts],
        "outbox": [(p["status"], [a["rule"] for a in p.get("firing", [])], p["window"]) for p in outbox],
    }


def coverage_and_accuracy(
    log: pd.DataFrame, labels: pd.DataFrame, day: int, as_of: datetime
) -> tuple[float, float]:
    start = DAY0 + timedelta(days=day)
    rows = log[(log.timestamp >= start) & (log.timestamp < start + timedelta(days=1))]
    known = rows.merge(labels[labels.labelled_at < pd.Timestamp(as_of)], on="prediction_id")
    return len(known) / len(rows), float((known.label == known.prediction).mean())


def test_a_window_that_passes_at_its_coverage_and_fails_when_complete_fires_then(
    data: tuple[pd.DataFrame, pd.DataFrame], db_url: str, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    log, labels = data
    labels.to_parquet(tmp_path / "labels.parquet")
    runtime = make_runtime(config(db_url, "labels.parquet"), now=DAY0)
    live(runtime, DAY0 + timedelta(days=1), END)
    # Independently: the first hourly checkpoint with 80% of day 2 labelled, and the first at which
    # its accuracy on the labels known falls below the threshold.
    checkpoints = [DAY0 + timedelta(days=BAD_DAY + 1, hours=h) for h in range(1, 26)]
    states = [(c, *coverage_and_accuracy(log, labels, BAD_DAY, c)) for c in checkpoints]
    judged = next(s for s in states if s[1] >= 0.8)
    turned = next(s for s in states if s[1] >= 0.8 and s[2] < THRESHOLD)
    assert judged[2] >= THRESHOLD and judged[0] < turned[0]  # it passes when first judged
    assert states[-1][1] == 1.0 and states[-1][2] < THRESHOLD

    facts = stored(runtime)
    (fired,) = [e for e in facts["events"] if e[1] == "fired"]
    rule, _, window_end, value, details = fired
    assert (rule, window_end.replace(tzinfo=UTC)) == ("accuracy-low", DAY0 + timedelta(days=BAD_DAY + 1))
    assert value == pytest.approx(turned[2], abs=1e-12)
    assert details["rejudged"] is True and details["provisional"] is True
    assert details["label_coverage"] == pytest.approx(turned[1], abs=1e-12)
    version = next(
        v for d, v, _, _, _, at in facts["versions"] if d == BAD_DAY and at.replace(tzinfo=UTC) == turned[0]
    )
    assert details["metrics_version"] == version
    with runtime.sessions() as session:
        summary = session.scalar(sa.select(AlertEventRow.summary).where(AlertEventRow.event == "fired"))
    coverage = f"{100 * turned[1]:.0f}%"
    assert summary is not None and summary.endswith(
        f"(re-judged, provisional: {coverage} labelled, metrics v{version})"
    )
    # The first judgement, at 80%, passed: nothing was recorded for the alert before it fired; the
    # good day after it resolves it.
    assert [e[1] for e in facts["events"]] == ["fired", "notified", "resolved", "notified"]
    assert facts["outbox"][0][:2] == ("firing", ["accuracy-low"])


def test_a_backfill_with_labels_held_back_then_released_stores_what_the_live_service_did(
    data: tuple[pd.DataFrame, pd.DataFrame],
    db_url: str,
    other_db_url: str,
    make_runtime: RuntimeFactory,
    tmp_path: Path,
) -> None:
    _, labels = data
    labels.to_parquet(tmp_path / "labels.parquet")
    lived = make_runtime(config(db_url, "labels.parquet"), now=DAY0)
    live(lived, DAY0 + timedelta(days=1), END)

    # The same history as a backfill at day 4, 13:00, when only the labels known by then exist, and
    # the rest released afterwards, as the service then lives on.
    then = DAY0 + timedelta(days=4, hours=13)
    labels[labels.labelled_at < pd.Timestamp(then)].to_parquet(tmp_path / "labels_replay.parquet")
    replay = make_runtime(config(other_db_url, "labels_replay.parquet"), now=DAY0)
    pipeline.backfill(replay, "m", DAY0, DAY0 + timedelta(days=4), now=then)
    labels.to_parquet(tmp_path / "labels_replay.parquet")
    live(replay, then + timedelta(hours=1), END)

    ours, theirs = stored(replay), stored(lived)
    assert len(theirs["versions"]) > 5 * DAYS  # labels came hour by hour: many versions
    assert [e[1] for e in theirs["events"]] == ["fired", "notified", "resolved", "notified"]
    for key in ("runs", "versions", "events", "alerts", "outbox"):
        assert ours[key] == theirs[key], key


def test_a_rule_with_a_baseline_is_re_judged_against_the_earlier_windows(
    data: tuple[pd.DataFrame, pd.DataFrame], db_url: str, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    log, labels = data
    labels.to_parquet(tmp_path / "labels.parquet")
    settings = config(db_url, "labels.parquet")
    # Days 0 and 1 are right on 8 in 10: a drop of more than 0.15 from their mean is below 0.65.
    (rule,) = settings["monitors"]["m"]["alerts"]
    del rule["threshold"], rule["op"]
    rule["baseline"] = {"windows": 2, "max_drop": 0.15}
    runtime = make_runtime(settings, now=DAY0)
    live(runtime, DAY0 + timedelta(days=1), END)
    checkpoints = [DAY0 + timedelta(days=BAD_DAY + 1, hours=h) for h in range(1, 26)]
    states = [(c, *coverage_and_accuracy(log, labels, BAD_DAY, c)) for c in checkpoints]
    turned = next(s for s in states if s[1] >= 0.8 and s[2] < 0.8 - 0.15)
    (fired,) = [e for e in stored(runtime)["events"] if e[1] == "fired"]
    _, _, window_end, value, details = fired
    assert window_end.replace(tzinfo=UTC) == DAY0 + timedelta(days=BAD_DAY + 1)
    assert value == pytest.approx(turned[2], abs=1e-12) and details["rejudged"] is True
