"""Server-side render time of the pages and of one daily report, on a year of stored results.

Builds a database holding two monitors with synthetic stored results, inserted straight into the
store's tables (no window is computed):
- `daily-100`: a year (365) of daily windows over 100 features (half numerical, half categorical
  with 20 levels), tests ks and psi / chi2 and psi with their bins and counts, 8 metrics with
  intervals and label coverage (the newest week still waiting for labels, some windows recomputed
  as version 2), 2 to 3 quality checks per column, model output bins, and alerts firing and
  resolving through the year;
- `hourly-20`: 90 days of hourly windows (2,160) over 20 features, the same kinds of rows.
Then, through the FastAPI app in-process (starlette's TestClient: routing, the services' queries and
Jinja rendering; no socket), it times the dashboard, each monitor's page at its default range and a
run page of each (the newest drifted window), and writing one day's report file of each monitor.
Each figure is the median of `--repeat` timed requests after two warm-up requests.

    python benchmarks/bench_pages.py                         # SQLite in a temporary directory
    python benchmarks/bench_pages.py --repeat 30 --keep /tmp/bench-pages   # keep the database
    python benchmarks/bench_pages.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
        # (a fresh database is created beside the one named in the URL and dropped afterwards)
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient
from fresh_database import postgres_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.config import load_config  # noqa: E402
from monitor.pipeline.runtime import Runtime, build_runtime  # noqa: E402
from monitor.services.daily_report import write_daily_report  # noqa: E402
from monitor.store.engine import upgrade_database  # noqa: E402
from monitor.store.tables import (  # noqa: E402
    AlertEventRow,
    AlertRow,
    DriftResultRow,
    MetricValueRow,
    MonitorRow,
    QualityResultRow,
    RunRow,
)
from monitor.web.app import create_app  # noqa: E402

END = datetime(2026, 11, 22, tzinfo=UTC)  # every window ends by then
NOW = END + timedelta(hours=3)
METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier"]
MONITORS = {"daily-100": (timedelta(days=1), 365, 100), "hourly-20": (timedelta(hours=1), 90 * 24, 20)}
LEVELS = [f"level_{i:02d}" for i in range(20)]
BENCH_TOKEN = "mm_bench-admin-token-0123456789abcdef"


def write_config(root: Path, url: str) -> Path:
    monitors = {
        name: {
            "model": name,
            "source": {"type": "files", "path": "never-read.parquet"},
            "reference": {"type": "files", "path": "never-read.parquet"},
            "window": {"size": f"{int(size.total_seconds() // 3600)}h"},
            "schema": {"features": [f"f{i:03d}" for i in range(features)]},
            "drift": {"drift_share": 0.15},
            "alerts": [{"name": "dataset-drift", "signal": "drift_share", "threshold": 0.15}],
        }
        for name, (size, _count, features) in MONITORS.items()
    }
    config = {
        "database": {"url": url},
        "server": {"public_url": "https://monitor.example.com"},
        # The pages behind access control, as served: an admin key, and TestClient's host name.
        "auth": {
            "keys": [{"name": "bench", "token": BENCH_TOKEN, "scope": "admin"}],
            "allowed_hosts": ["testserver"],
        },
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump({**config, "monitors": monitors}, sort_keys=False), encoding="utf-8")
    return path


# --- synthetic stored results ----------------------------------------------------------------------


def _bins(rng: np.random.Generator, shift: float) -> dict[str, Any]:
    reference = [2000] * 10
    weights = np.exp(-shift * np.arange(10) / 3)
    current = np.round(3000 * weights / weights.sum()).astype(int).tolist()
    edges = sorted(float(round(x, 3)) for x in rng.normal(50, 10, 9))
    return {"binning": "quantile", "edges": edges, "reference_counts": reference, "current_counts": current}


def _categories(rng: np.random.Generator, shift: float) -> dict[str, Any]:
    current = [int(150 * (1 + shift * (1 if i < 4 else -0.3))) for i in range(len(LEVELS))]
    return {
        "binning": "categories",
        "categories": LEVELS,
        "reference_counts": [1000] * 20,
        "current_counts": current,
    }


def _drift_rows(rng: np.random.Generator, run_id: int, features: int, drift: float) -> list[dict[str, Any]]:
    rows = []
    for i in range(features):
        shift = drift if i % 5 == 0 else 0.0
        numerical = i < features // 2
        details = _bins(rng, shift) if numerical else _categories(rng, shift)
        first_test = "ks" if numerical else "chi2"
        p_value = float(10 ** -(1 + 40 * shift) * rng.uniform(0.5, 1))
        psi = float(0.01 + shift * rng.uniform(0.3, 0.6))
        for test, statistic, p, threshold in (
            (first_test, 0.02 + shift / 4, p_value, 0.05),
            ("psi", psi, None, 0.2),
        ):
            drifted = p < threshold if p is not None else statistic >= threshold
            rows.append(
                {
                    "run_id": run_id,
                    "column_name": f"f{i:03d}",
                    "kind": "numerical" if numerical else "categorical",
                    "test": test,
                    "statistic": statistic,
                    "p_value": p,
                    "threshold": threshold,
                    "drifted": drifted,
                    "status": "ok",
                    "details": {"reference_n": 20000, "current_n": 3000, **details},
                    "role": "feature",
                }
            )
    score = {"reference_n": 20000, "current_n": 3000, **_bins(rng, drift)}
    rows.append(
        {
            "run_id": run_id,
            "column_name": "score",
            "kind": "numerical",
            "test": "psi",
            "statistic": 0.05 + drift,
            "p_value": None,
            "threshold": 0.2,
            "drifted": drift > 0.15,
            "status": "ok",
            "details": score,
            "role": "output",
        }
    )
    return rows


def _metric_rows(rng: np.random.Generator, run_id: int, age: int, drift: float) -> list[dict[str, Any]]:
    coverage = 1.0 if age > 7 else age / 8
    rows = []
    for version in (1, 2) if age in (8, 9, 10) else (1,):
        for metric in METRICS:
            value = float(0.8 - drift / 4 + rng.normal(0, 0.01))
            rows.append(
                {
                    "run_id": run_id,
                    "metric": metric,
                    "version": version,
                    "value": value,
                    "ci_low": value - 0.02,
                    "ci_high": value + 0.02,
                    "sample_count": int(3000 * coverage),
                    "label_coverage": coverage if version == 1 else 1.0,
                    "status": "ok" if coverage > 0 else "no_labels",
                    "computed_at": NOW,
                }
            )
    return rows


def _quality_rows(run_id: int, features: int, drift: float) -> list[dict[str, Any]]:
    rows = [
        {
            "run_id": run_id,
            "check": "row_count",
            "column_name": "",
            "value": 3000.0,
            "threshold": 0.5,
            "finding": False,
            "message": "3000 rows",
            "details": {},
        }
    ]
    for i in range(features):
        column = f"f{i:03d}"
        second = "out_of_range" if i < features // 2 else "new_categories"
        finding = drift > 0 and i % 5 == 0
        for check, value in (("missing_share", 0.001), (second, 0.02 if finding else 0.0)):
            rows.append(
                {
                    "run_id": run_id,
                    "check": check,
                    "column_name": column,
                    "value": value,
                    "threshold": 0.01,
                    "finding": finding and check == second,
                    "message": f"{check} {value}",
                    "details": {},
                }
            )
    return rows


def _drift_level(index: int, count: int) -> float:
    """No drift for the first two thirds of the range, then a rising shift with a daily ripple."""
    start = 2 * count // 3
    return 0.0 if index < start else min(1.0, (index - start) / (count / 6)) * (0.8 + 0.2 * math.sin(index))


def fill(runtime: Runtime, name: str, size: timedelta, count: int, features: int) -> None:
    rng = np.random.default_rng(7)
    engine = runtime.engine
    with engine.begin() as conn:
        monitor_id = conn.execute(sa.select(MonitorRow.id).where(MonitorRow.name == name)).scalar_one()
    starts = [END - (count - i) * size for i in range(count)]
    levels = [_drift_level(i, count) for i in range(count)]
    runs = []
    for start, drift in zip(starts, levels, strict=True):
        drifted = [f"f{i:03d}" for i in range(0, features, 5)] if drift > 0.1 else []
        runs.append(
            {
                "monitor_id": monitor_id,
                "window_start": start,
                "window_end": start + size,
                "status": "succeeded",
                "trigger": "schedule",
                "attempts": 1,
                "claimed_at": start + size,
                "started_at": start + size,
                "finished_at": start + size,
                "row_count": 3000,
                "reference_rows": 20000,
                "labelled_count": 2500,
                "drift_share": len(drifted) / features,
                "dataset_drifted": bool(drifted),
                "drifted_columns": drifted,
                "duration_seconds": 1.2,
                "claim_reason": "claimed",
            }
        )
    with engine.begin() as conn:
        conn.execute(sa.insert(RunRow), runs)
        ids = list(
            conn.scalars(
                sa.select(RunRow.id).where(RunRow.monitor_id == monitor_id).order_by(RunRow.window_start)
            )
        )
        for chunk in range(0, count, 50):
            drift_rows, metric_rows, quality_rows = [], [], []
            for index in range(chunk, min(count, chunk + 50)):
                age = (END - starts[index]) // timedelta(days=1)
                drift_rows += _drift_rows(rng, ids[index], features, levels[index])
                metric_rows += _metric_rows(rng, ids[index], age, levels[index])
                quality_rows += _quality_rows(ids[index], features, levels[index])
            conn.execute(sa.insert(DriftResultRow), drift_rows)
            conn.execute(sa.insert(MetricValueRow), metric_rows)
            conn.execute(sa.insert(QualityResultRow), quality_rows)
        add_alerts(conn, monitor_id, starts, levels, size, ids)


def add_alerts(
    conn: Any, monitor_id: int, starts: list[datetime], levels: list[float], size: timedelta, ids: list[int]
) -> None:
    """One drift alert firing from where drift begins (still firing) and a metric alert that fired and
    resolved a month earlier."""
    begin = next(i for i, level in enumerate(levels) if level > 0.1)
    spans = [("dataset-drift", begin, None), ("auc-drop", max(0, begin - 60), max(1, begin - 30))]
    for number, (rule, first, last) in enumerate(spans):
        state = "firing" if last is None else "resolved"
        alert = {
            "monitor_id": monitor_id,
            "fingerprint": f"{rule}-{number}",
            "rule": rule,
            "labels": {"rule": rule},
            "severity": "warning",
            "state": state,
            "breaches": 2,
            "clears": 0,
            "value": 0.4,
            "threshold": 0.3,
            "summary": f"{rule} breached",
            "last_run_id": ids[-1],
            "last_window_end": starts[-1] + size,
            "started_at": starts[first],
            "fired_at": starts[first] + size,
            "updated_at": NOW,
            "resolved_at": None if last is None else starts[last] + size,
            "since_window_start": starts[first],
            "since_window_end": starts[first] + size,
        }
        alert_id = conn.execute(sa.insert(AlertRow).returning(AlertRow.id), alert).scalar_one()
        events = [("pending", first), ("fired", first + 1)] + ([] if last is None else [("resolved", last)])
        conn.execute(
            sa.insert(AlertEventRow),
            [
                {
                    "alert_id": alert_id,
                    "run_id": ids[i],
                    "window_end": starts[i] + size,
                    "at": starts[i] + size,
                    "event": event,
                    "state": event,
                    "value": 0.4,
                    "threshold": 0.3,
                    "summary": event,
                    "details": {},
                }
                for event, i in events
            ],
        )


# --- measuring -------------------------------------------------------------------------------------


def median_ms(action: Callable[[], object], repeat: int, warmup: int = 2) -> tuple[float, float]:
    for _ in range(warmup):
        action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), max(times)


def page(client: TestClient, path: str) -> Callable[[], object]:
    def get() -> object:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        return response

    return get


@contextmanager
def database(args: argparse.Namespace, root: Path) -> Iterator[str]:
    if not args.postgres:
        (root / "monitor.db").unlink(missing_ok=True)
        yield f"sqlite:///{root / 'monitor.db'}"
        return
    with postgres_database(args.postgres, "bench_pages") as url:
        yield url


def measure(runtime: Runtime, repeat: int) -> list[tuple[str, float, float, str]]:
    """(what, median ms, slowest ms, size) of every page and report."""
    figures = []
    app = create_app(runtime)
    gc.collect()
    gc.freeze()  # as `monitor serve` does before serving
    with TestClient(app, headers={"Authorization": f"Bearer {BENCH_TOKEN}"}) as client:
        paths = {"dashboard": "/"}
        for name in MONITORS:
            runs = client.get(f"/api/v1/monitors/{name}/runs", params={"limit": 1000, "offset": 0}).json()
            total = runs["total"]
            newest = client.get(
                f"/api/v1/monitors/{name}/runs", params={"limit": 50, "offset": total - 50}
            ).json()
            drifted = [r for r in newest["items"] if r["dataset_drifted"]][-1]
            paths[f"monitor {name}"] = f"/monitors/{name}"
            paths[f"run {name}"] = f"/runs/{drifted['id']}"
        for what, path in paths.items():
            size = len(client.get(path).content)
            median, slowest = median_ms(page(client, path), repeat)
            figures.append((what, median, slowest, f"{size / 1024:.0f} KiB"))
    day = (END - timedelta(days=1)).date()
    for name in MONITORS:
        out = Path(runtime.config.reports_directory()) / "bench" / f"{name}.html"
        median, slowest = median_ms(
            partial(write_daily_report, runtime, name, day, out), max(3, repeat // 4), 1
        )
        figures.append(
            (f"report {name} {day.isoformat()}", median, slowest, f"{out.stat().st_size / 2**20:.1f} MiB")
        )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (median)")
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server (default: SQLite)")
    parser.add_argument(
        "--keep", type=Path, help="build in this directory and keep it (default: a temporary one)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        root = args.keep or Path(temporary)
        root.mkdir(parents=True, exist_ok=True)
        with database(args, root) as url:
            config = load_config(write_config(root, url))
            upgrade_database(config.database_url())
            runtime = build_runtime(config, now=NOW, clock=lambda: NOW)
            try:
                started = time.perf_counter()
                for name, (size, count, features) in MONITORS.items():
                    fill(runtime, name, size, count, features)
                runs = sum(count for _size, count, _features in MONITORS.values())
                took = time.perf_counter() - started
                print(f"stored {runs} runs in {took:.1f} s ({url.split(':')[0]})")
                rows = measure(runtime, args.repeat)
            finally:
                runtime.close()
    print("\n| what | median (ms) | slowest (ms) | size |\n|---|---:|---:|---:|")
    for what, median, slowest, shown in rows:
        print(f"| {what} | {median:.0f} | {slowest:.0f} | {shown} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
