"""A scheduled run over a 1M-row window, read to stored results and alerts (issue 16: under 10 s).

Generates (seeded) a `files` monitor: a window of `--rows` (1,000,000) predictions in one day of
Parquet with 20 numerical and 10 string categorical features, a prediction, a score, an id and a
timestamp; a reference of `--reference-rows` (200,000) rows; and for the labelled cases a label file
with a label for every prediction. The window has planted changes: a shifted numerical feature
(drift, so the drift rules fire) and a category the reference never had on 1% of a string feature
(a quality finding). Alerts go to a Slack notifier whose webhook is a tiny HTTP server this script
starts, so delivery is part of the run.

Each case gets a fresh database (SQLite in a temporary directory, or a new PostgreSQL database made
beside `--postgres` and dropped after). Before the clock starts the reference profile is built (it
is stored once and reused by every later run) and, with labels, the 1M labels are pulled into the
label store (`pull_labels`, as the scheduler's label pass would have done over the day). Then the
scheduler's callback, `monitor.services.scheduling.tick`, is timed end to end: the label pass, the
due window read, compared, checked, its labels looked up and joined, everything stored, the rules
judged and the notification delivered.

Stage times come from timers wrapped around the pipeline's functions (nested: `compute_window`
holds `read`, `drift`...; `store` holds `save_results`...). `--profile DIR` also writes a cProfile
of each case's first repeat. Each result is a JSON line in benchmarks/results/scheduled-DATE.jsonl.

    python benchmarks/bench_scheduled_run.py                       # SQLite, without and with labels
    python benchmarks/bench_scheduled_run.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/bench_scheduled_run.py --repeats 3 --tag after --profile /tmp/prof
    python benchmarks/bench_scheduled_run.py --backend dask     # on a LocalCluster of 2 workers
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from fresh_database import postgres_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.config import load_config  # noqa: E402
from monitor.pipeline.label_stream import pull_labels  # noqa: E402
from monitor.pipeline.reference import reference_profile  # noqa: E402
from monitor.pipeline.runtime import build_runtime  # noqa: E402
from monitor.services import scheduling  # noqa: E402
from monitor.store.engine import upgrade_database  # noqa: E402

DAY = datetime(2026, 11, 30, tzinfo=UTC)
NOW = DAY + timedelta(days=1, hours=1)  # the window [DAY, DAY + 1d) is due
NUMERICAL, CATEGORICAL = 20, 10
NAME = "big"


def _table(rng: np.random.Generator, n: int, *, window: bool) -> dict[str, Any]:
    """Columns of the reference (window=False) or of the window, with its planted changes."""
    columns: dict[str, Any] = {}
    for j in range(NUMERICAL):
        values = rng.normal(loc=j % 5, scale=1 + j % 3, size=n)
        if window and j == 0:
            values += 0.5  # a drifting feature
        columns[f"num_{j}"] = values
    for j in range(CATEGORICAL):
        levels = np.array([f"level-{j}-{k}" for k in range(5 + 5 * j)])
        codes = rng.integers(0, len(levels), size=n)
        column = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(levels))
        strings = column.cast(pa.string())
        if window and j == 0:  # 1% of rows with a category the reference never had
            new = rng.random(n) < 0.01
            strings = pa.array(np.where(new, "never-seen", strings.to_numpy(zero_copy_only=False)))
        columns[f"cat_{j}"] = strings
    score = rng.random(n)
    columns["score"] = score
    columns["prediction"] = (score >= 0.5).astype(np.int64)
    return columns


def write_data(directory: Path, rows: int, reference_rows: int) -> None:
    """The window, its labels and the reference, seeded."""
    rng = np.random.default_rng(16)
    columns = _table(rng, rows, window=True)
    ids = pa.array([f"p-{i:08d}" for i in rng.permutation(rows)])
    seconds = np.sort(rng.uniform(0, 86_400, rows))
    times = pa.array(
        (np.datetime64(DAY.replace(tzinfo=None), "us") + (seconds * 1e6).astype("timedelta64[us]")),
        type=pa.timestamp("us", tz="UTC"),
    )
    window = pa.table({"prediction_id": ids, "timestamp": times, **columns})
    folder = directory / "predictions" / f"dt={DAY.date().isoformat()}"
    folder.mkdir(parents=True)
    pq.write_table(window, folder / "part-0.parquet", row_group_size=128 * 1024)
    truth = (rng.random(rows) < columns["score"]).astype(np.int64)
    labelled_at = pa.array(
        np.datetime64(DAY.replace(tzinfo=None), "us")
        + ((seconds + 600) * 1e6).astype("timedelta64[us]"),  # 10 minutes after each prediction
        type=pa.timestamp("us", tz="UTC"),
    )
    labels = pa.table({"prediction_id": ids, "label": truth, "labelled_at": labelled_at})
    pq.write_table(labels, directory / "labels.parquet")
    reference = pa.table(_table(rng, reference_rows, window=False))
    pq.write_table(reference, directory / "reference.parquet")


def config(directory: Path, url: str, *, labels: bool, webhook: str, backend: str = "local") -> Path:
    features = [f"num_{j}" for j in range(NUMERICAL)] + [f"cat_{j}" for j in range(CATEGORICAL)]
    monitor: dict[str, Any] = {
        "model": "bench-1m",
        "source": {"type": "files", "path": "predictions/**/*.parquet"},
        "reference": {"type": "files", "path": "reference.parquet"},
        "window": {"size": "1d"},
        "schedule": {"delay": "15m"},
        "schema": {
            "features": features,
            "timestamp_column": "timestamp",
            "id_column": "prediction_id",
            "prediction_column": "prediction",
            "score_column": "score",
        },
        "drift": {"tests": ["ks", "chi2", "psi"], "thresholds": {"ks": 0.001, "chi2": 0.001, "psi": 0.2}},
        # dask: a LocalCluster of 2 worker processes, started (and warmed) before the clock starts.
        "compute": {"backend": "dask", "workers": 2} if backend == "dask" else {},
        "alerts": [
            {
                "name": "drift-share",
                "signal": "drift_share",
                "op": ">=",
                "threshold": 0.03,
                "notify": ["slack"],
            },
            {"name": "num-0-drift", "signal": "column_drift", "column": "num_0", "notify": ["slack"]},
            {
                "name": "new-categories",
                "signal": "quality",
                "check": "new_categories",
                "op": ">=",
                "threshold": 0.005,
                "notify": ["slack"],
            },
        ],
    }
    if labels:
        monitor["labels"] = {
            "source": {"type": "files", "path": "labels.parquet"},
            "id_column": "prediction_id",
            "label_column": "label",
            "timestamp_column": "labelled_at",
        }
        monitor["metrics"] = ["accuracy", "roc_auc"]
        monitor["alerts"].append(
            {
                "name": "auc-low",
                "signal": "metric",
                "metric": "roc_auc",
                "op": "<",
                "threshold": 0.99,
                "notify": ["slack"],
            }
        )
    data = {
        "database": {"url": url},
        "notifiers": {"slack": {"type": "slack", "webhook_url": webhook, "group_by": ["rule"]}},
        "monitors": {NAME: monitor},
    }
    path = directory / f"bench-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Hook.received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        return


@contextmanager
def webhook_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def database(postgres: str | None, directory: Path) -> Iterator[str]:
    if postgres is None:
        path = directory / f"bench-{uuid.uuid4().hex[:6]}.db"
        yield f"sqlite:///{path}"
        path.unlink(missing_ok=True)
        return
    with postgres_database(postgres, "bench_sched") as url:
        yield url


# (module, attribute, stage): the pipeline's functions timed, where they are called from.
_STAGES = [
    ("monitor.services.scheduling", "refresh_late_labels", "label_pass"),
    ("monitor.pipeline.run", "compute_window", "compute_window"),
    ("monitor.pipeline.run", "compute_window_on_cluster", "compute_window_on_cluster"),
    ("monitor.pipeline.run", "add_cluster_labels", "cluster_labels"),
    ("monitor.sources.files.FilesSource", "read", "read"),
    ("monitor.pipeline.compute", "reference_profile", "profile"),
    ("monitor.pipeline.compute", "compare_datasets", "drift"),
    ("monitor.pipeline.compute", "run_labels", "labels"),
    ("monitor.store.labels", "label_columns_of_ids", "labels.lookup"),
    ("monitor.store.labels", "labels_of_ids", "labels.lookup"),  # before the bulk lookup (c0ab6b9)
    ("monitor.pipeline.compute", "join_labels", "labels.join"),
    ("monitor.pipeline.compute", "window_metrics", "metrics"),
    ("monitor.pipeline.compute", "assess_window", "quality"),
    ("monitor.pipeline.compute", "compute_segments", "segments"),
    ("monitor.pipeline.compute", "estimate_window", "estimates"),
    ("monitor.store.runs", "save_results", "store.results"),
    ("monitor.pipeline.run", "save_segments", "store.segments"),
    ("monitor.pipeline.run", "save_run_labels", "store.window_ids"),
    ("monitor.pipeline.run", "judge_in_order", "alerts"),
    ("monitor.pipeline.run", "transaction", "store"),
    ("monitor.pipeline.run", "deliver_pending", "deliver"),
]


def _resolve(path: str) -> Any:
    import importlib

    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            target = getattr(target, attr)
        return target
    raise ImportError(path)


@contextmanager
def stage_timers() -> Iterator[dict[str, float]]:
    """Wraps the pipeline's functions with timers; the seconds spent in each, summed."""
    spent: dict[str, float] = {}
    undo: list[Callable[[], None]] = []

    def timed(stage: str, func: Any) -> Any:
        if stage == "store":  # a context manager: time from enter to exit

            @contextmanager
            def wrapped_cm(*args: Any, **kwargs: Any) -> Iterator[Any]:
                started = time.perf_counter()
                try:
                    with func(*args, **kwargs) as value:
                        yield value
                finally:
                    spent[stage] = spent.get(stage, 0.0) + time.perf_counter() - started

            return wrapped_cm

        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[stage] = spent.get(stage, 0.0) + time.perf_counter() - started

        return wrapped

    for owner_path, attr, stage in _STAGES:
        owner = _resolve(owner_path)
        if not hasattr(owner, attr):  # a function older code does not have
            continue
        original = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
        setattr(owner, attr, timed(stage, original))
        undo.append(functools.partial(setattr, owner, attr, original))
    try:
        yield spent
    finally:
        for step in reversed(undo):
            step()


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_case(
    directory: Path, postgres: str | None, *, labels: bool, profile_to: Path | None, backend: str = "local"
) -> dict[str, Any]:
    """One fresh database, primed, then one timed tick."""
    with webhook_server() as hook, database(postgres, directory) as url:
        cfg = load_config(config(directory, url, labels=labels, webhook=hook, backend=backend))
        upgrade_database(cfg.database_url())
        runtime = build_runtime(cfg, now=DAY, clock=lambda: NOW)
        try:
            if backend == "dask":  # the cluster started and its workers up before the clock starts
                runtime.compute_backend(cfg.monitors[NAME].compute).describe()
            started = time.perf_counter()
            reference_profile(runtime, NAME, now=NOW)
            profile_seconds = time.perf_counter() - started
            ingest_seconds = None
            if labels:
                started = time.perf_counter()
                pull_labels(runtime, NAME, through=NOW, overlap=timedelta(0))
                ingest_seconds = time.perf_counter() - started
            _Hook.received.clear()
            load_before = load()
            profiler = cProfile.Profile() if profile_to is not None else None
            with stage_timers() as stages:
                started = time.perf_counter()
                if profiler is not None:
                    profiler.enable()
                report = scheduling.tick(runtime, NAME)
                if profiler is not None:
                    profiler.disable()
                seconds = time.perf_counter() - started
            if profiler is not None and profile_to is not None:
                profile_to.mkdir(parents=True, exist_ok=True)
                kind = "postgresql" if postgres else "sqlite"
                profiler.dump_stats(profile_to / f"tick-{kind}-{'labels' if labels else 'nolabels'}.prof")
        finally:
            runtime.close()
    outcome = report.runs[0] if len(report.runs) == 1 else None
    if outcome is None or outcome.status != "succeeded":
        raise SystemExit(f"the tick did not run one window: {report}")
    return {
        "seconds": round(seconds, 3),
        "stages": {k: round(v, 3) for k, v in sorted(stages.items(), key=lambda kv: -kv[1])},
        "rows": outcome.row_count,
        "drifted_columns": list(outcome.drifted_columns),
        "metrics": outcome.metrics,
        "quality_findings": list(outcome.quality_findings),
        "alerts_fired": list(outcome.alerts_fired),
        "notifications_delivered": len(_Hook.received),
        "profile_build_seconds": round(profile_seconds, 3),
        "label_ingest_seconds": None if ingest_seconds is None else round(ingest_seconds, 3),
        "load_before": load_before,
        "load_after": load(),
        "profiled": profile_to is not None,
    }


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL; a fresh database per run")
    parser.add_argument("--sqlite", action="store_true", help="with --postgres, run SQLite too")
    parser.add_argument("--cases", default="nolabels,labels", help="nolabels, labels or both")
    parser.add_argument("--backend", default="local", choices=["local", "dask"], help="compute.backend")
    parser.add_argument("--tag", default="", help="a note stored with each result (before, after...)")
    parser.add_argument("--commit", default=None, help="the commit measured (default: this checkout's)")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile each case's first run here")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    databases: list[str | None] = [args.postgres] if args.postgres else [None]
    if args.postgres and args.sqlite:
        databases.insert(0, None)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"scheduled-{date.today().isoformat()}.jsonl"
    commit = args.commit or _commit()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        write_data(directory, args.rows, args.reference_rows)
        print(f"data written in {time.perf_counter() - started:.1f} s", flush=True)
        for postgres in databases:
            kind = "postgresql" if postgres else "sqlite"
            for case in args.cases.split(","):
                with_labels = case == "labels"
                times: list[float] = []
                # A profiled run (slower) comes first and is not counted in the best and median.
                for repeat in range(-1 if args.profile else 0, args.repeats):
                    profile = args.profile if repeat < 0 else None
                    result = run_case(
                        directory, postgres, labels=with_labels, profile_to=profile, backend=args.backend
                    )
                    if profile is None:
                        times.append(result["seconds"])
                    record = {
                        "benchmark": "scheduled_run",
                        "date": datetime.now(UTC).isoformat(timespec="seconds"),
                        "commit": commit,
                        "tag": args.tag,
                        "database": kind,
                        "labels": with_labels,
                        "backend": args.backend,
                        "rows": args.rows,
                        "reference_rows": args.reference_rows,
                        "repeat": repeat,
                        "cpus": os.cpu_count(),
                        **result,
                    }
                    with out.open("a", encoding="utf-8") as handle:
                        handle.write(json.dumps(record) + "\n")
                    top = ", ".join(f"{k} {v:.2f}" for k, v in list(result["stages"].items())[:8])
                    print(
                        f"{kind} {case} #{repeat}: {result['seconds']:.2f} s"
                        f"{' (profiled)' if profile else ''}; load {result['load_before']}; {top}",
                        flush=True,
                    )
                print(
                    f"== {kind} {case}: best {min(times):.2f} s, median {statistics.median(times):.2f} s",
                    flush=True,
                )
    print(f"results appended to {out}")


if __name__ == "__main__":
    main()
