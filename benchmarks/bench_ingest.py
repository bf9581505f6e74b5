"""Rows per second of HTTP ingestion: `monitor serve` (uvicorn, its own process) storing pushed rows.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_ingest.py                      # PostgreSQL, JSON
    PYTHONPATH=. .venv/bin/python benchmarks/bench_ingest.py --rows 200000 --repeat 3 \
        --formats json,ndjson,parquet --databases postgres,sqlite

Each run: a fresh database (PostgreSQL: a new database on MONITOR_TEST_POSTGRES_URL's server;
SQLite: a new file), `monitor serve --no-scheduler` started in a subprocess as in production, then
ROWS predictions of 16 columns (time, id, 10 numerical features, 2 categorical, score, prediction)
POSTed by one httpx client in batches of --batch rows, one request at a time. Timed: from the first
request to the last answer, so reading the body, parsing, checking every row against the schema and
the transaction that stores the batch are all in. Bodies are encoded before the clock starts. After
each run the stored row count is checked. Reported: rows/s of every run, and the minimum and median
per database and body format, with the load average before and after.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import sqlalchemy as sa
from fresh_database import postgres_database

POSTGRES = os.environ.get("MONITOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TOKEN = "mm_bench-ingest-key-0123456789abcdefghijkl"
FEATURES = [f"f{i}" for i in range(10)]
CONTENT_TYPES = {
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}


def frame(rows: int, start: datetime, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {
        "timestamp": pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.uniform(0, 86_400, rows)), "s"),
        "prediction_id": [uuid.UUID(int=int(x)).hex for x in rng.integers(0, 2**62, rows)],
    }
    for name in FEATURES:
        data[name] = rng.normal(size=rows)
    data["plan"] = rng.choice(["free", "basic", "pro", "enterprise"], rows)
    data["region"] = rng.choice([f"r{i}" for i in range(20)], rows)
    data["score"] = rng.random(rows)
    data["prediction"] = (data["score"] > 0.5).astype("int64")  # type: ignore[operator]
    return pd.DataFrame(data)


def bodies(data: pd.DataFrame, batch: int, body_format: str) -> list[bytes]:
    out = []
    for start in range(0, len(data), batch):
        part = data.iloc[start : start + batch]
        if body_format == "parquet":
            sink = io.BytesIO()
            part.to_parquet(sink, index=False)
            out.append(sink.getvalue())
            continue
        records = part.assign(timestamp=part["timestamp"].map(lambda t: t.isoformat())).to_dict("records")
        if body_format == "json":
            out.append(json.dumps(records).encode())
        else:
            out.append("".join(json.dumps(r) + "\n" for r in records).encode())
    return out


def config(database_url: str, port: int, batch: int) -> dict[str, object]:
    types = {name: "number" for name in FEATURES} | {
        "plan": "string",
        "region": "string",
        "prediction": "integer",
    }
    return {
        "database": {"url": database_url},
        "server": {"host": "127.0.0.1", "port": port},
        "auth": {"keys": [{"name": "bench", "token": TOKEN, "scope": "admin"}]},
        "ingest": {"max_rows": batch, "max_body_bytes": 256 * 2**20},
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


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def database(kind: str, root: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{root / f'monitor-{uuid.uuid4().hex[:8]}.db'}"
        return
    with postgres_database(POSTGRES, "bench_ingest") as url:
        yield url


@contextmanager
def server(root: Path, database_url: str, batch: int, code: Path) -> Iterator[str]:
    (root / "reference.parquet").touch()
    port = _free_port()
    config_path = root / "bench.yaml"
    config_path.write_text(json.dumps(config(database_url, port, batch)))  # JSON is YAML
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve", "--config", str(config_path), "--no-scheduler"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(code)},
        cwd=code,  # `python -m` puts the working directory first on the path
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                error = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"the server did not start: {error}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def one_run(
    root: Path, kind: str, body_format: str, sent: list[bytes], rows: int, batch: int, code: Path
) -> float:
    with database(kind, root) as url, server(root, url, batch, code) as base:
        headers = {"content-type": CONTENT_TYPES[body_format], "authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base, timeout=300, headers=headers) as client:
            began = time.perf_counter()
            for body in sent:
                response = client.post("/api/v1/models/bench/predictions", content=body)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
            seconds = time.perf_counter() - began
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT count(*) FROM ingested_predictions")).scalar_one()
        engine.dispose()
        if stored != rows:
            raise RuntimeError(f"{stored} rows stored, {rows} sent")
    return rows / seconds


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="json")
    parser.add_argument("--databases", default="postgres")
    here = Path(__file__).resolve().parents[1]
    parser.add_argument(
        "--server-code",
        type=Path,
        default=here,
        help="a checkout whose `monitor serve` takes the rows (e.g. `git archive` of the commit before)",
    )
    args = parser.parse_args()
    # Times around now: pushed rows older than ingest.max_row_age are refused.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    data = frame(args.rows, start, seed=3)
    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for body_format in args.formats.split(","):
            sent = bodies(data, args.batch, body_format)
            megabytes = sum(len(b) for b in sent) / 2**20
            for kind in args.databases.split(","):
                for run in range(args.repeat):
                    before = load()
                    rate = one_run(
                        Path(tmp), kind, body_format, sent, args.rows, args.batch, args.server_code
                    )
                    results.setdefault((kind, body_format), []).append(rate)
                    print(
                        f"{kind:<9} {body_format:<7} run {run + 1}: {rate:>9,.0f} rows/s "
                        f"({megabytes:.0f} MB sent; load {before} -> {load()})",
                        flush=True,
                    )
    print(f"\n{'database':<9} {'format':<7} {'rows':>10} {'batch':>7} {'min rows/s':>11} {'median':>9} runs")
    for (kind, body_format), rates in results.items():
        print(
            f"{kind:<9} {body_format:<7} {args.rows:>10,} {args.batch:>7,} {min(rates):>11,.0f} "
            f"{statistics.median(rates):>9,.0f} {len(rates)}"
        )


if __name__ == "__main__":
    main()
