"""Rows per second of the sources on a 1M-row window: PostgreSQL, Parquet, and HTTP ingestion.

    PYTHONPATH=. python benchmarks/bench_sources.py                 # everything, 1M rows
    PYTHONPATH=. python benchmarks/bench_sources.py --rows 100000 --only parquet,sql

- sql: a PostgreSQL table of 2 x ROWS rows (10 numerical features, 2 categorical, score, prediction)
  with an index on the time column; one window holds ROWS of them. Timed: SqlSource.read(window),
  through COPY parsed by Arrow, then again through SQLAlchemy's streamed chunks (the path before).
- parquet: hive partitions dt=YYYY-MM-DD/ of ROWS / 4 rows each over 8 days; a 4-day window holds
  ROWS. Timed: FilesSource.read(window) (partition pruning, filter pushdown, to pandas).
- http: `monitor serve` in a subprocess (its own interpreter, as in production) on a fresh database;
  ROWS predictions POSTed as JSON in batches of --batch rows, one request at a time. Timed: from the
  first request to the last answer, so parsing, checking every row against the schema and the
  transaction that stores it are all in. Then the scheduler's read-back of that window
  (IngestSource.read) is timed too.
Peak memory is the growth of the process's resident set while reading (sampled every 5 ms).
Data generation and loading are not timed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import sqlalchemy as sa

from monitor.sources.files import FilesSource
from monitor.sources.sql import SqlSource

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)
POSTGRES = os.environ.get("MONITOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FEATURES = [f"f{i}" for i in range(10)]
TOKEN = "mm_bench-sources-key-0123456789abcdefghij"


def frame(rows: int, start: datetime, span: timedelta, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {
        "timestamp": pd.Timestamp(start)
        + pd.to_timedelta(np.sort(rng.uniform(0, span.total_seconds(), rows)), "s"),
        "prediction_id": [uuid.UUID(int=int(x)).hex for x in rng.integers(0, 2**62, rows)],
    }
    for name in FEATURES:
        data[name] = rng.normal(size=rows)
    data["plan"] = rng.choice(["free", "basic", "pro", "enterprise"], rows)
    data["region"] = rng.choice([f"r{i}" for i in range(20)], rows)
    data["score"] = rng.random(rows)
    data["prediction"] = (data["score"] > 0.5).astype("int64")  # type: ignore[operator]
    return pd.DataFrame(data)


class PeakRss:
    """Peak growth of resident memory while the block runs."""

    def __enter__(self) -> PeakRss:
        self.base = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.base) / 2**20


def timed(label: str, rows: int, read: Callable[[], pd.DataFrame]) -> dict[str, object]:
    with PeakRss() as memory:
        began = time.perf_counter()
        result = read()
        seconds = time.perf_counter() - began
    assert len(result) == rows, f"{label}: {len(result)} rows, expected {rows}"
    frame_mb = result.memory_usage(deep=True).sum() / 2**20
    del result
    return {
        "source": label,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_mb": memory.growth_mb,
        "frame_mb": frame_mb,
    }


def bench_sql(rows: int) -> list[dict[str, object]]:
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"bench_sources_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        engine = sa.create_engine(url)
        data = pd.concat(
            [
                frame(rows, DAY0, timedelta(days=1), 1),
                frame(rows, DAY0 + timedelta(days=1), timedelta(days=1), 2),
            ]
        )
        data["timestamp"] = data["timestamp"].dt.tz_localize(None)
        data.head(0).to_sql("predictions", engine, index=False)
        buffer = io.StringIO()
        data.to_csv(buffer, index=False, header=False)
        buffer.seek(0)
        with engine.begin() as conn:
            cursor = conn.connection.cursor()
            with cursor.copy("COPY predictions FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
            conn.execute(sa.text("CREATE INDEX ON predictions (timestamp)"))
            conn.execute(sa.text("ANALYZE predictions"))
        engine.dispose()
        del data, buffer
        source = SqlSource(url, table="predictions")
        window = (DAY0, DAY0 + timedelta(days=1))
        results = [
            timed(
                "PostgreSQL table (sql), COPY parsed by Arrow",
                rows,
                lambda: source.read(*window, time_column="timestamp"),
            )
        ]
        source.close()
        # The same window through SQLAlchemy's streamed chunks, the path before COPY (and still the
        # path of queries and of tables with other column types).
        chunked = SqlSource(url, table="predictions")
        chunked.database.arrow_window = lambda *a, **k: None  # type: ignore[method-assign]
        results.append(
            timed(
                "PostgreSQL table (sql), SQLAlchemy chunks",
                rows,
                lambda: chunked.read(*window, time_column="timestamp"),
            )
        )
        chunked.close()
        return results
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_parquet(rows: int, root: Path) -> dict[str, object]:
    per_day = rows // 4
    for day in range(8):
        start = DAY0 + timedelta(days=day)
        folder = root / "log" / f"dt={start.date().isoformat()}"
        folder.mkdir(parents=True)
        frame(per_day, start, timedelta(days=1), 10 + day).to_parquet(folder / "part-0.parquet", index=False)
    source = FilesSource(root / "log" / "**" / "*.parquet")
    return timed(
        "Parquet, hive partitions (files)",
        per_day * 4,
        lambda: source.read(DAY0 + timedelta(days=2), DAY0 + timedelta(days=6), time_column="timestamp"),
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_http(rows: int, batch: int, root: Path, database_url: str, label: str) -> list[dict[str, object]]:
    (root / "reference.parquet").touch()
    port = _free_port()
    types = {name: "number" for name in FEATURES} | {
        "plan": "string",
        "region": "string",
        "prediction": "integer",
    }
    config = {
        "database": {"url": database_url},
        "server": {"host": "127.0.0.1", "port": port},
        "auth": {"keys": [{"name": "bench", "token": TOKEN, "scope": "admin"}]},
        "ingest": {"max_rows": batch, "max_body_bytes": 64 * 2**20},
        "monitors": {
            "bench": {
                "model": "bench",
                "source": {"type": "ingest"},
                "reference": {"type": "files", "path": "reference.parquet"},
                "schema": {"features": [*FEATURES, "plan", "region"], "types": types},
                "schedule": {"enabled": False},
            }
        },
    }
    config_path = root / "bench.yaml"
    config_path.write_text(json.dumps(config))  # JSON is YAML
    server = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve", "--config", str(config_path), "--no-scheduler"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(
                    f"the server did not start: {server.stderr.read().decode() if server.stderr else ''}"
                )
            time.sleep(0.2)
        data = frame(rows, DAY0, timedelta(days=1), 3)
        data["timestamp"] = data["timestamp"].map(lambda t: t.isoformat())
        bodies = [
            json.dumps(data.iloc[i : i + batch].to_dict("records")).encode() for i in range(0, rows, batch)
        ]
        del data
        headers = {"authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base, timeout=300, headers=headers) as client:
            began = time.perf_counter()
            for body in bodies:
                response = client.post(
                    "/api/v1/models/bench/predictions",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                response.raise_for_status()
            seconds = time.perf_counter() - began
        results: list[dict[str, object]] = [
            {
                "source": f"HTTP ingestion, {label} ({batch:,}-row batches)",
                "rows": rows,
                "seconds": seconds,
                "rows_per_s": rows / seconds,
                "peak_mb": float("nan"),
                "frame_mb": sum(len(b) for b in bodies) / 2**20,
            }
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    # The scheduler's read of the pushed window, in this process.
    from monitor.config import load_config
    from monitor.pipeline.runtime import build_runtime

    runtime = build_runtime(load_config(config_path), now=DAY0)
    try:
        source = runtime.source("bench")
        results.append(
            timed(
                f"read back pushed rows, {label} (ingest)",
                rows,
                lambda: source.read(DAY0, DAY0 + timedelta(days=1), time_column="timestamp"),
            )
        )
    finally:
        runtime.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--only", default="sql,parquet,http,http-postgres")
    args = parser.parse_args()
    only = set(args.only.split(","))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "sql" in only:
            results += bench_sql(args.rows)
        if "parquet" in only:
            results.append(bench_parquet(args.rows, root / "parquet"))
        if "http" in only:
            (root / "http").mkdir()
            results += bench_http(
                args.rows, args.batch, root / "http", f"sqlite:///{root / 'http' / 'monitor.db'}", "SQLite"
            )
        if "http-postgres" in only:
            admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
            name = f"bench_ingest_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            try:
                (root / "http-pg").mkdir()
                url = admin.url.set(database=name).render_as_string(hide_password=False)
                from monitor.store.engine import upgrade_database

                upgrade_database(url)
                results += bench_http(args.rows, args.batch, root / "http-pg", url, "PostgreSQL")
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    print(f"\n{'source':<52} {'rows':>10} {'seconds':>8} {'rows/s':>11} {'peak MB':>8} {'frame MB':>9}")
    for r in results:
        print(
            f"{r['source']:<52} {r['rows']:>10,} {r['seconds']:>8.2f} {r['rows_per_s']:>11,.0f} "
            f"{r['peak_mb']:>8.0f} {r['frame_mb']:>9.0f}"
        )


if __name__ == "__main__":
    main()
