"""The dask compute backend on generated Parquet windows of 10M and 100M rows x 20 columns: wall time and
peak memory per worker, beside the local engine on the 10M window, and their results compared.

Data (`generate`, streamed file by file: never more than one file's rows in memory), under `--data`:
- `current-<size>/part-NNNNN.parquet`: N + one file's worth of rows, `--rows-per-file` rows a file
  (row groups of 250,000), a `ts` column (UTC, microseconds) one row every 86,400 s / N; the window is
  one day, [2026-11-30, 2026-12-01), and holds exactly N rows: the first and the last file each
  have half their rows outside it, which the time filter drops.
- `reference.parquet`: 1,000,000 rows from the same generator without drift.
- 20 feature columns: 7 continuous floats (f_0..f_6, f_4 with 2% NaN), 3 rounded floats with ties
  (r_0..r_2), 4 integers (i_0..i_3; i_3 has 4 values, so PSI bins by value), 6 string categoricals of
  3 to 1,000 levels (c_0..c_5, c_5 with 1% missing). Drift is planted in the current data of f_0, f_2,
  f_6, r_1, i_0, c_1 (shares moved) and c_4 (a new category).
Tests: ks, chi2, psi, wasserstein, jensenshannon, hellinger; integers declared numerical.

Cases, each in its own process (`--case`, run by the driver):
- `dask:<size>`: a LocalCluster of 2 worker processes, 1 thread each, memory_limit 4 GiB a worker
  (the nanny restarts a worker that goes beyond it: a restart is reported), started outside the
  timing; the reference profile is built in the client (timed apart: a service stores it beforehand);
  the window's drift is `read_parquet_window` + `compare_window` on a DaskBackend connected to the
  cluster's address. Peak memory per worker: a WorkerPlugin samples its process's RSS (psutil) every
  10 ms in a thread, the maximum taken over the window's computation; also the worker process's
  lifetime high-water mark (getrusage ru_maxrss).
- `local:<size>`: the local engine as a `files` source runs it: the window read with pyarrow
  (FilesSource: time filter pushed down, strings dictionary-encoded) and compare_datasets against the
  same profile with the same options; peak RSS of the process (ru_maxrss and sampled).
Each case records `uptime`'s load averages before and after it (the machine is shared). The results'
statistics are kept in `--data`/stats/<case>.json; when a dask case and the local case of the same
size are both there, their statistics are compared: exact ones must be equal, KS from a sketch and
Wasserstein within their reported bound (the exit status is 1 otherwise).

    python benchmarks/bench_dask.py                                   # 10M and 100M, every case
    python benchmarks/bench_dask.py --cases local:10M,dask:10M --out results.jsonl
    python benchmarks/bench_dask.py --generate-only --sizes 100M      # data only
    python benchmarks/bench_dask.py --report benchmarks/results/dask-2026-12-01.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from distributed.diagnostics.plugin import WorkerPlugin

ROOT = Path(__file__).resolve().parents[1]
SIZES = ("10M", "100M")
REFERENCE_ROWS = 1_000_000
ROW_GROUP = 250_000
WINDOW_START = datetime(2026, 11, 30, tzinfo=UTC)
WINDOW = timedelta(days=1)
CONTINUOUS = [f"f_{i}" for i in range(7)]
ROUNDED = [f"r_{i}" for i in range(3)]
INTEGERS = [f"i_{i}" for i in range(4)]
LEVELS = {"c_0": 5, "c_1": 20, "c_2": 50, "c_3": 200, "c_4": 1000, "c_5": 3}
FEATURES = CONTINUOUS + ROUNDED + INTEGERS + list(LEVELS)
DRIFTED = ("f_0", "f_2", "f_6", "r_1", "i_0", "c_1", "c_4")
TESTS = ("ks", "chi2", "psi", "wasserstein", "jensenshannon", "hellinger")
APPROXIMATE = ("kll_sketch",)


# --- data ------------------------------------------------------------------------------------------


def categorical(rng: np.random.Generator, name: str, rows: int, drift: bool) -> pa.Array:
    levels = LEVELS[name]
    shares = 1.0 / np.arange(1, levels + 1) ** 0.8  # Zipf-like: a few common levels, a long tail
    shares /= shares.sum()
    if drift and name == "c_1":
        shares[:4] *= 1.15
        shares /= shares.sum()
    codes = rng.choice(levels, rows, p=shares).astype(np.int32)
    names = [f"{name}_{i:04d}" for i in range(levels)]
    if drift and name == "c_4":  # 1% of the rows in a category the reference never saw
        names.append(f"{name}_new")
        codes[rng.random(rows) < 0.01] = levels
    mask = rng.random(rows) < 0.01 if name == "c_5" else None
    indices = pa.array(codes, type=pa.int32(), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(names)).cast(pa.string())


def numerical(rng: np.random.Generator, rows: int, drift: bool) -> dict[str, np.ndarray]:
    f_4 = rng.random(rows)
    f_4[rng.random(rows) < 0.02] = np.nan
    return {
        "f_0": rng.normal(0.02 if drift else 0.0, 1.0, rows),
        "f_1": rng.normal(100.0, 15.0, rows),
        "f_2": rng.lognormal(0.0, 1.05 if drift else 1.0, rows),
        "f_3": rng.exponential(2.0, rows),
        "f_4": f_4,
        "f_5": rng.normal(0.0, 1.0, rows),
        "f_6": rng.gamma(2.1 if drift else 2.0, 2.0, rows),
        "r_0": np.round(rng.normal(50.0, 10.0, rows), 1),
        "r_1": np.round(rng.normal(0.05 if drift else 0.0, 1.0, rows), 2),
        "r_2": np.round(rng.uniform(0.0, 100.0, rows)),
        "i_0": rng.poisson(3.1 if drift else 3.0, rows),
        "i_1": rng.binomial(20, 0.3, rows),
        "i_2": rng.integers(0, 1000, rows),
        "i_3": rng.integers(0, 4, rows),
    }


def batch(rng: np.random.Generator, rows: int, drift: bool, times: np.ndarray | None) -> pa.Table:
    columns: dict[str, Any] = {}
    if times is not None:
        columns["ts"] = pa.array(times, type=pa.timestamp("us", tz="UTC"))
    columns.update(numerical(rng, rows, drift))
    for name in LEVELS:
        columns[name] = categorical(rng, name, rows, drift)
    return pa.table(columns)


def write(table: pa.Table, path: Path) -> None:
    """Written under a temporary name, then renamed: an interrupted run leaves no half file behind."""
    partial = path.with_suffix(".partial")
    pq.write_table(table, partial, row_group_size=ROW_GROUP)
    partial.rename(path)


def window_bounds() -> tuple[datetime, datetime]:
    return WINDOW_START, WINDOW_START + WINDOW


def generate_current(folder: Path, rows: int, rows_per_file: int, seed: int) -> None:
    """`rows` rows in the window plus half a file before it and half after, file by file."""
    settings = {"rows": rows, "rows_per_file": rows_per_file, "seed": seed}
    manifest = folder / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()) == settings:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("part-*"):
        stale.unlink()
    step_us = WINDOW // timedelta(microseconds=1) // rows
    start_us = int(WINDOW_START.timestamp() * 1_000_000)
    first = -(rows_per_file // 2)
    for number, offset in enumerate(range(first, rows - first, rows_per_file)):
        rng = np.random.default_rng([seed, number])
        times = start_us + np.arange(offset, offset + rows_per_file, dtype=np.int64) * step_us
        write(batch(rng, rows_per_file, True, times), folder / f"part-{number:05d}.parquet")
        print(f"  {folder.name}: file {number + 1}, rows up to {offset + rows_per_file:,}", flush=True)
    manifest.write_text(json.dumps(settings))


def generate_reference(path: Path, seed: int) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write(batch(np.random.default_rng([seed, 1 << 30]), REFERENCE_ROWS, False, None), path)


# --- measuring -------------------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """The largest resident set size of this process seen since the last reset, every `interval` s."""

    def __init__(self, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.peak = self.process.memory_info().rss
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def reset(self) -> int:
        self.peak = self.process.memory_info().rss
        return self.peak

    def stop(self) -> int:
        self.halt.set()
        return max(self.peak, self.process.memory_info().rss)


def max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def rows_of(size: str) -> int:
    """'10M' -> 10,000,000 (any number of millions: small ones try the benchmark out)."""
    return int(float(size.removesuffix("M")) * 1_000_000)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def mb(size: float) -> float:
    return round(size / 2**20, 1)


# --- cases -----------------------------------------------------------------------------------------


def drift_options() -> Any:
    from monitor.drift import ColumnKind, ColumnOptions, DriftOptions

    return DriftOptions(
        tests=TESTS, columns={name: ColumnOptions(kind=ColumnKind.NUMERICAL) for name in INTEGERS}
    )


def files(pattern: Path) -> Any:
    from monitor.sources.files import FilesSource

    return FilesSource(pattern, categories=lambda names: [n for n in names if n in LEVELS])


def profile_of(data: Path, options: Any) -> tuple[Any, float]:
    from monitor.drift import build_profile

    started = time.perf_counter()
    reference = files(data / "reference.parquet").read()
    profile = build_profile(reference, options)
    return profile, time.perf_counter() - started


def statistics(result: Any) -> dict[str, Any]:
    return {
        f"{r.column}/{r.test}": {
            "statistic": r.statistic,
            "p_value": r.p_value,
            "computed_from": r.details.get("computed_from"),
            "error_bound": r.details.get("error_bound"),
            "drifted": r.drifted,
            "status": str(r.status),
        }
        for r in result.results
    }


def run_local(data: Path, size: str) -> tuple[dict[str, Any], Any]:
    from monitor.drift import compare_datasets

    options = drift_options()
    sampler = RssSampler()
    sampler.start()
    profile, profile_s = profile_of(data, options)
    before = sampler.reset()
    start, end = window_bounds()
    started = time.perf_counter()
    frame = files(data / f"current-{size}" / "*.parquet").read(start, end, time_column="ts")
    read_s = time.perf_counter() - started
    result = compare_datasets(profile, frame[FEATURES], options)
    window_s = time.perf_counter() - started
    record = {
        "profile_s": round(profile_s, 2),
        "read_s": round(read_s, 2),
        "compare_s": round(window_s - read_s, 2),
        "window_s": round(window_s, 2),
        "rss_before_window_mb": mb(before),
        "peak_rss_window_mb": mb(sampler.stop()),
        "ru_maxrss_mb": mb(max_rss_bytes()),
    }
    return record, result


class PeakMemory(WorkerPlugin):
    """A WorkerPlugin: samples its worker process's RSS every `interval` s in a thread; `reset` starts a
    new maximum. Read on the workers with client.run (works on any cluster, not only a local one)."""

    name = "bench-peak-memory"

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval

    def setup(self, worker: Any) -> None:
        self.sampler = RssSampler(self.interval)
        self.sampler.start()

    def teardown(self, worker: Any) -> None:
        self.sampler.stop()


def worker_memory(dask_worker: Any, reset: bool = False) -> dict[str, Any]:
    sampler = dask_worker.plugins[PeakMemory.name].sampler
    rss = sampler.reset() if reset else sampler.peak
    # Bytes the worker ever spilled to disk (its SpillBuffer's metrics): 0 when memory sufficed.
    spilled = sum(
        value
        for key, value in dask_worker.digests_total.items()
        if isinstance(key, tuple) and "disk-write" in key and key[-1] == "bytes"
    )
    return {"pid": os.getpid(), "peak_rss": rss, "ru_maxrss": max_rss_bytes(), "spilled_to_disk": spilled}


def start_cluster() -> Any:
    from distributed import LocalCluster

    from monitor.compute.dask_backend import local_only

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, memory_limit="4GiB", **local_only(True)
    )
    cluster.get_client().register_plugin(PeakMemory())
    return cluster


def run_dask(data: Path, size: str) -> tuple[dict[str, Any], Any]:
    from monitor.compute import build_backend, read_parquet_window
    from monitor.drift import compare_summaries

    options = drift_options()
    started = time.perf_counter()
    cluster = start_cluster()
    client = cluster.get_client()
    cluster_s = time.perf_counter() - started
    profile, profile_s = profile_of(data, options)
    sampler = RssSampler()
    sampler.start()
    before = client.run(worker_memory, reset=True)
    start, end = window_bounds()
    with build_backend("dask", address=cluster.scheduler_address) as backend:
        started = time.perf_counter()
        pieces = read_parquet_window(
            data / f"current-{size}" / "*.parquet", FEATURES, time_column="ts", start=start, end=end
        )
        graph_s = time.perf_counter() - started
        summary = backend.summarise_window(pieces, profile, options)
        summarise_s = time.perf_counter() - started - graph_s
        result = compare_summaries(profile, summary, options)
        window_s = time.perf_counter() - started
        where = backend.describe()
    after = client.run(worker_memory)
    cluster.close()
    workers = [
        {
            "worker": address,
            "restarted": after[address]["pid"] != before.get(address, {}).get("pid"),
            "rss_before_window_mb": mb(before.get(address, {}).get("peak_rss", math.nan)),
            "peak_rss_window_mb": mb(after[address]["peak_rss"]),
            "ru_maxrss_mb": mb(after[address]["ru_maxrss"]),
            "spilled_to_disk_bytes": after[address]["spilled_to_disk"],
        }
        for address in sorted(after)
    ]
    record = {
        "cluster_start_s": round(cluster_s, 2),
        "profile_s": round(profile_s, 2),
        "graph_s": round(graph_s, 2),
        "summarise_s": round(summarise_s, 2),
        "judge_s": round(window_s - graph_s - summarise_s, 2),
        "window_s": round(window_s, 2),
        "partitions": pieces.npartitions,
        "cluster": where,
        "workers": workers,
        "client_peak_rss_window_mb": mb(sampler.stop()),
        "peak_worker_rss_mb": max(w["peak_rss_window_mb"] for w in workers),
        "under_4gib": all(w["peak_rss_window_mb"] < 4096 and not w["restarted"] for w in workers),
    }
    return record, result


def case_main(case: str, data: Path, stats_out: Path) -> None:
    engine, size = case.split(":")
    run = run_dask if engine == "dask" else run_local
    record, result = run(data, size)
    record.update(
        case=case,
        engine=engine,
        rows=result.current_rows,
        columns=len(result.columns),
        reference_rows=result.reference_rows,
        drifted_columns=list(result.drifted_columns),
    )
    stats_out.parent.mkdir(parents=True, exist_ok=True)
    stats_out.write_text(json.dumps(statistics(result)))
    print(json.dumps(record), flush=True)


# --- driver ----------------------------------------------------------------------------------------


def spawn(case: str, data: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--case", case, "--data", str(data)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = load()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    after = load()
    if done.returncode != 0:
        print(done.stderr[-4000:], file=sys.stderr)
        return {"case": case, "failed": True, "returncode": done.returncode, "load_before": before}
    record: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    record.update(load_before=before, load_after=after, date=datetime.now(UTC).isoformat(timespec="seconds"))
    return record


def agreement(data: Path, size: str) -> dict[str, Any] | None:
    """The dask case's statistics against the local engine's on the same window."""
    paths = [data / "stats" / f"{engine}-{size}.json" for engine in ("local", "dask")]
    if not all(p.exists() for p in paths):
        return None
    local, dask = (json.loads(p.read_text()) for p in paths)
    exact_diff = bounded_excess = bounded_diff = 0.0
    exact = bounded = 0
    mismatched: list[str] = []
    verdicts_within_bound: list[str] = []
    for key in sorted(set(local) | set(dask)):
        ours, theirs = dask.get(key), local.get(key)
        if ours is None or theirs is None or ours["statistic"] is None or theirs["statistic"] is None:
            mismatched.append(key)
            continue
        diff = abs(ours["statistic"] - theirs["statistic"])
        if ours["computed_from"] in APPROXIMATE or key.endswith("/wasserstein"):
            bounded += 1
            bounded_diff = max(bounded_diff, diff)
            # The bound is the method's; float rounding of sums in another order comes on top.
            bounded_excess = max(bounded_excess, diff - (ours["error_bound"] or 0.0) - 1e-12)
            if ours["drifted"] != theirs["drifted"]:  # possible within the bound, near the threshold
                verdicts_within_bound.append(key)
            continue
        exact += 1
        p_diff = abs((ours["p_value"] or 0.0) - (theirs["p_value"] or 0.0))
        exact_diff = max(exact_diff, diff, p_diff)
        if ours["drifted"] != theirs["drifted"]:
            mismatched.append(f"{key} (verdict)")
    return {
        "case": f"agreement:{size}",
        "exact_results": exact,
        "exact_max_abs_diff": exact_diff,
        "bounded_results": bounded,
        "bounded_max_abs_diff": bounded_diff,
        "bounded_max_excess_over_bound": max(bounded_excess, 0.0),
        "mismatched": mismatched,
        "other_verdict_within_bound": verdicts_within_bound,
        "agree": exact_diff == 0.0 and bounded_excess <= 0.0 and not mismatched,
    }


def seconds(record: dict[str, Any], *names: str) -> str:
    found = [record[name] for name in names if name in record]
    return f"{found[0]:.1f}" if found else "-"


def table(records: list[dict[str, Any]]) -> str:
    """Dask rows: graph = read_parquet_window, summarise = on the cluster, judge = compare_summaries
    here; local rows: read = FilesSource, compare = compare_datasets."""
    lines = [
        "| case | rows | partitions | window s | graph / read s | summarise s | judge / compare s | "
        "peak RSS per worker (MB) | spilled | this process's peak RSS (MB) | load before -> after |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for r in records:
        if "window_s" not in r:
            continue
        workers = r.get("workers", [])
        peaks = ", ".join(f"{w['peak_rss_window_mb']:.0f}" for w in workers) or "-"
        spilled = [w.get("spilled_to_disk_bytes") for w in workers]
        spill = "-" if not workers or None in spilled else f"{sum(spilled) / 2**20:.0f} MB"
        peak = r.get("client_peak_rss_window_mb", r.get("peak_rss_window_mb"))
        lines.append(
            f"| {r['case']} | {r['rows']:,} | {r.get('partitions', '-')} | {r['window_s']:.1f} | "
            f"{seconds(r, 'graph_s', 'read_s')} | {seconds(r, 'summarise_s')} | "
            f"{seconds(r, 'judge_s', 'compare_s')} | {peaks} | {spill} | {peak:.0f} | "
            f"{r['load_before'][0]} -> {r['load_after'][0]} |"
        )
    for r in records:
        if r["case"].startswith("agreement"):
            lines.append(
                f"{r['case']}: {r['exact_results']} exact results, max |diff| {r['exact_max_abs_diff']:g}; "
                f"{r['bounded_results']} within a bound, max |diff| {r['bounded_max_abs_diff']:.2e}, "
                f"max excess over the bound {r['bounded_max_excess_over_bound']:g}; "
                f"{'agree' if r['agree'] else 'DISAGREE: ' + ', '.join(r['mismatched'])}"
                + (
                    f"; other verdict, within the bound: {', '.join(r['other_verdict_within_bound'])}"
                    if r.get("other_verdict_within_bound")
                    else ""
                )
            )
    return "\n".join(lines)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-dask"), help="generated Parquet")
    parser.add_argument("--sizes", default=",".join(SIZES), help="millions of rows: 10M,100M")
    parser.add_argument("--cases", default=None, help="e.g. local:10M,dask:10M (default: all sizes)")
    parser.add_argument("--rows-per-file", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", type=Path, default=None, help="append the JSONL records here")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--report", type=Path, default=None, help="print the table of saved JSONL")
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)  # one case, in a subprocess
    return parser.parse_args()


def main() -> int:
    args = arguments()
    if args.report is not None:
        print(table([json.loads(line) for line in args.report.read_text().splitlines() if line.strip()]))
        return 0
    if args.case is not None:
        case_main(args.case, args.data, args.data / "stats" / f"{args.case.replace(':', '-')}.json")
        return 0
    cases = args.cases.split(",") if args.cases else None
    sizes = sorted({c.split(":")[1] for c in cases} if cases else set(args.sizes.split(",")), key=rows_of)
    generate_reference(args.data / "reference.parquet", args.seed)
    for size in sizes:
        generate_current(args.data / f"current-{size}", rows_of(size), args.rows_per_file, args.seed)
    if args.generate_only:
        return 0
    cases = cases or [
        c for s in sizes for c in ([f"local:{s}"] if rows_of(s) <= 10_000_000 else []) + [f"dask:{s}"]
    ]
    records = []
    for case in cases:
        print(f"running {case} (load {load()})", flush=True)
        records.append(spawn(case, args.data))
        print(json.dumps(records[-1]), flush=True)
    checks = [a for a in (agreement(args.data, s) for s in sizes) if a is not None]
    records += checks
    if args.out is not None:
        with args.out.open("a") as out:
            out.writelines(json.dumps(r) + "\n" for r in records)
    print(table(records))
    failed = any(r.get("failed") or r.get("under_4gib") is False for r in records)
    return 1 if failed or not all(a["agree"] for a in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
