"""Backfill of a year of hourly windows whose labels come two days late: cost per window and label reads.

Generates `--days` days (365) of a binary classifier's prediction log, `--rows` predictions an hour
(30), in daily hive partitions (`dt=YYYY-MM-DD/part-0.parquet`), and its labels, each known exactly
two days after its prediction, in daily partitions by label time. Then `monitor backfill`'s service
(`pipeline.backfill`) computes every hourly window of the year into a fresh SQLite database (or
PostgreSQL with `--postgres`), replaying the label stream in data time: before each window the
labels known by its run time are pulled, and the windows they belong to get their new versions.

Reported:
- the mean time per window of the first and of the last 100 windows (the cost must not grow with
  the history: the labels are pulled by label time, once, and joined by id through the store);
- the label rows read from the label source in all, against the rows of the label data;
- the whole run's wall time, and the metric versions stored.

    python benchmarks/bench_labels.py                    # 365 days, SQLite in a temporary directory
    python benchmarks/bench_labels.py --days 30          # a quicker look
    python benchmarks/bench_labels.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
import yaml
from fresh_database import postgres_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor import pipeline  # noqa: E402
from monitor.config import load_config  # noqa: E402
from monitor.pipeline.runtime import Runtime, build_runtime  # noqa: E402
from monitor.store.engine import upgrade_database  # noqa: E402
from monitor.store.tables import MetricValueRow  # noqa: E402

DAY0 = datetime(2025, 1, 1, tzinfo=UTC)
LABEL_DELAY = timedelta(days=2)


def write_data(directory: Path, days: int, rows_per_hour: int) -> int:
    """The prediction log and its labels in daily partitions; returns the number of label rows."""
    rng = np.random.default_rng(5)
    per_day = rows_per_hour * 24
    labels_by_day: dict[str, list[pd.DataFrame]] = {}
    for day in range(days):
        start = pd.Timestamp(DAY0 + timedelta(days=day))
        times = start + pd.to_timedelta(np.sort(rng.uniform(0, 86_400, per_day)), unit="s")
        score = rng.random(per_day)
        truth = (rng.random(per_day) < score).astype(int)
        ids = [f"d{day}-{i}" for i in range(per_day)]
        log = pd.DataFrame(
            {
                "prediction_id": ids,
                "timestamp": times,
                "x": rng.normal(size=per_day),
                "colour": rng.choice(["red", "green", "blue"], per_day),
                "score": score,
                "prediction": (score >= 0.5).astype(int),
            }
        )
        folder = directory / "predictions" / f"dt={start.date().isoformat()}"
        folder.mkdir(parents=True)
        log.to_parquet(folder / "part-0.parquet", index=False)
        labels = pd.DataFrame({"prediction_id": ids, "label": truth, "labelled_at": times + LABEL_DELAY})
        for when, part in labels.groupby(labels.labelled_at.dt.date):
            labels_by_day.setdefault(when.isoformat(), []).append(part)
    for when, parts in labels_by_day.items():
        folder = directory / "labels" / f"dt={when}"
        folder.mkdir(parents=True)
        pd.concat(parts).to_parquet(folder / "part-0.parquet", index=False)
    reference = pd.DataFrame(
        {"x": rng.normal(size=5000), "colour": rng.choice(["red", "green", "blue"], 5000)}
    )
    reference.to_parquet(directory / "reference.parquet", index=False)
    return days * per_day


def config(directory: Path, url: str) -> Path:
    data: dict[str, Any] = {
        "database": {"url": url},
        "monitors": {
            "hourly": {
                "model": "bench",
                "source": {"type": "files", "path": "predictions/**/*.parquet"},
                "labels": {
                    "source": {"type": "files", "path": "labels/**/*.parquet"},
                    "horizon": "7d",
                },
                "reference": {"type": "files", "path": "reference.parquet"},
                "window": {"size": "1h"},
                "schema": {"features": ["x", "colour"]},
                "metrics": ["accuracy", "roc_auc"],
                "alerts": [
                    {"name": "auc-low", "signal": "metric", "metric": "roc_auc", "op": "<", "threshold": 0.6}
                ],
            }
        },
    }
    path = directory / "bench.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def count_label_reads(runtime: Runtime) -> list[int]:
    """Wraps the monitor's label source so every row it returns is counted."""
    source = runtime.source_for("hourly", "labels")
    read = source.read
    counted: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> pd.DataFrame:
        frame = read(*args, **kwargs)
        counted.append(len(frame))
        return frame

    source.read = counting  # type: ignore[method-assign]
    return counted


@contextmanager
def database(postgres: str | None, directory: Path) -> Iterator[str]:
    if postgres is None:
        yield f"sqlite:///{directory / 'bench.db'}"
        return
    with postgres_database(postgres, "bench_labels") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rows", type=int, default=30, help="predictions an hour")
    parser.add_argument(
        "--postgres", default=None, help="a PostgreSQL URL; a fresh database is made beside it"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        label_rows = write_data(directory, args.days, args.rows)
        with database(args.postgres, directory) as url:
            cfg = load_config(config(directory, url))
            upgrade_database(cfg.database_url())
            end = DAY0 + timedelta(days=args.days)
            now = end + LABEL_DELAY + timedelta(hours=1)  # every label known
            runtime = build_runtime(cfg, now=DAY0)
            reads = count_label_reads(runtime)
            seconds: list[float] = []
            last = [time.perf_counter()]

            def progress(i: int, total: int, outcome: pipeline.RunOutcome) -> None:
                moment = time.perf_counter()
                seconds.append(moment - last[0])
                last[0] = moment
                if outcome.status != "succeeded":
                    raise SystemExit(f"window {outcome.window.label()}: {outcome.status} {outcome.error}")
                if i % 1000 == 0:
                    print(f"  {i}/{total} windows", flush=True)

            started = time.perf_counter()
            result = pipeline.backfill(runtime, "hourly", DAY0, end, now=now, progress=progress)
            total = time.perf_counter() - started
            with runtime.sessions() as session:
                versions = session.scalar(
                    sa.select(sa.func.count()).select_from(
                        sa.select(MetricValueRow.run_id, MetricValueRow.version).distinct().subquery()
                    )
                )
            runtime.close()
    kind = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{kind}: {len(result.runs)} hourly windows over {args.days} days, {args.rows} predictions an hour")
    print(f"  first 100 windows: {statistics.mean(seconds[:100]) * 1000:.1f} ms a window")
    print(f"  last 100 windows:  {statistics.mean(seconds[-100:]) * 1000:.1f} ms a window")
    tenth = max(1, len(seconds) // 10)
    slices = [statistics.mean(seconds[i : i + tenth]) * 1000 for i in range(0, tenth * 10, tenth)]
    print(f"  by tenth of the year, ms a window: {' '.join(f'{x:.0f}' for x in slices)}")
    print(f"  whole backfill:    {total:.1f} s ({total / len(seconds) * 1000:.1f} ms a window)")
    print(f"  label rows read:   {sum(reads)} in {len(reads)} pulls; label data: {label_rows} rows")
    print(f"  metric versions stored: {versions}")


if __name__ == "__main__":
    main()
