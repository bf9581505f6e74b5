"""Drift engine vs Evidently's DataDriftPreset vs a plain per-column scipy loop: time, memory, agreement.

Every (engine, size) runs in its own subprocess on the same generated data (seeded): half numerical
columns (normal, some shifted in the current window), half categorical with 20 levels (some shares
moved); reference and current of equal size. Each subprocess generates its data, then measures:
- wall time of the comparison alone (data generation excluded);
- peak memory above the loaded data: a thread samples the resident set size (/proc/self/statm)
  every 2 ms during the comparison, minus the RSS just before it started.

Engines:
- `engine`: this project's compare_datasets with tests ks, chi2, psi, from DataFrames (the reference
  profile is built inside the timed part: the cold case). `engine-warm` times only the comparison
  against a prebuilt profile (what a scheduled run does). `engine-auto` uses `tests: auto`.
- `scipy`: for each column scipy.stats.ks_2samp, or value counts + scipy.stats.chi2_contingency
  (correction=False); PSI with numpy per the spec's bins. One column at a time, no threads.
- `evidently`: Report([DataDriftPreset()]) on evidently Datasets with the column types declared.

The engine's KS, chi-square and PSI are checked against the scipy loop to 1e-9 (the contract's
definitions); a mismatch is printed and makes the exit status 1.

    python benchmarks/bench_drift.py                       # every size, every engine
    python benchmarks/bench_drift.py --sizes 1M:100 --engines evidently --out results.jsonl
    python benchmarks/bench_drift.py --report results.jsonl   # the table from saved results
    python benchmarks/bench_drift.py --engines engine,scipy --repeat 3   # fastest of 3 (busy machines)

`--process` times `monitor drift` on Parquet files of the same data as a user runs it, a whole
process, beside the time of reading both files with pyarrow plus the warm comparison, and beside an
Evidently user's whole process (drift_process.py says exactly what each case times):

    python benchmarks/bench_drift.py --process --sizes 1M:100 --cases cli,floor,floor-dict,evidently-process
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"100k:20": (100_000, 20), "1M:20": (1_000_000, 20), "1M:100": (1_000_000, 100)}
ENGINES = ("engine", "engine-warm", "engine-auto", "scipy", "evidently")
LEVELS = np.array([f"level_{i:02d}" for i in range(20)], dtype=object)
PAGE = os.sysconf("SC_PAGE_SIZE")


# --- data ------------------------------------------------------------------------------------------


def make_data(rows: int, cols: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ref: dict[str, Any] = {}
    cur: dict[str, Any] = {}
    numerical = cols // 2
    base = np.full(len(LEVELS), 1 / len(LEVELS))
    for i in range(cols):
        drifted = i % 5 == 0  # every fifth column moves
        if i < numerical:
            mean, scale = rng.normal(0, 10), rng.uniform(0.5, 5)
            ref[f"num_{i}"] = rng.normal(mean, scale, rows)
            cur[f"num_{i}"] = rng.normal(mean + (0.1 * scale if drifted else 0.0), scale, rows)
        else:
            shares = base.copy()
            if drifted:
                shares[:4] += 0.02
                shares[4:8] -= 0.02
            ref[f"cat_{i}"] = pd.Series(LEVELS[rng.choice(len(LEVELS), rows, p=base)], dtype="str")
            cur[f"cat_{i}"] = pd.Series(LEVELS[rng.choice(len(LEVELS), rows, p=shares)], dtype="str")
    return pd.DataFrame(ref), pd.DataFrame(cur)


# --- engines ---------------------------------------------------------------------------------------


def run_engine(ref: pd.DataFrame, cur: pd.DataFrame, mode: str) -> Callable[[], dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    from monitor.drift import CONTRACT_TESTS, DriftOptions, build_profile, compare_datasets

    options = DriftOptions(tests=("auto",) if mode == "engine-auto" else CONTRACT_TESTS)
    profile = build_profile(ref, options) if mode == "engine-warm" else None

    def run() -> dict[str, Any]:
        drift = compare_datasets(profile if profile is not None else ref, cur, options)
        return {
            f"{r.column}/{r.test}": [r.statistic, r.p_value, r.drifted, str(r.status)] for r in drift.results
        }

    return run


def scipy_psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    r = ref_counts / ref_counts.sum()
    c = cur_counts / cur_counts.sum()
    r = np.where(r == 0, 1e-4, r)
    c = np.where(c == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r)))


def run_scipy(ref: pd.DataFrame, cur: pd.DataFrame) -> Callable[[], dict[str, Any]]:
    from scipy import stats

    def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for column in ref.columns:
            a, b = ref[column], cur[column]
            if column.startswith("num_"):
                x, y = a.to_numpy(), b.to_numpy()
                ks = stats.ks_2samp(x, y)
                out[f"{column}/ks"] = [float(ks.statistic), float(ks.pvalue), bool(ks.pvalue < 0.05), "ok"]
                edges = np.unique(np.quantile(x, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]))
                n_bins = len(edges) + 1
                rc = np.bincount(np.searchsorted(edges, x, side="right"), minlength=n_bins)
                cc = np.bincount(np.searchsorted(edges, y, side="right"), minlength=n_bins)
                psi = scipy_psi(rc, cc)
            else:
                counts = pd.concat([a.value_counts(), b.value_counts()], axis=1).fillna(0)
                table = counts.to_numpy().T
                chi = stats.chi2_contingency(table, correction=False)
                out[f"{column}/chi2"] = [
                    float(chi.statistic),
                    float(chi.pvalue),
                    bool(chi.pvalue < 0.05),
                    "ok",
                ]
                psi = scipy_psi(table[0], table[1])
            out[f"{column}/psi"] = [psi, None, psi >= 0.2, "ok"]
        return out

    return run


def run_evidently(ref: pd.DataFrame, cur: pd.DataFrame) -> Callable[[], dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    from monitor.drift.evidently_adapter import import_evidently

    import_evidently()  # telemetry off, pandas 3 compatibility
    import warnings

    warnings.simplefilter("ignore")
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(
        numerical_columns=[c for c in ref.columns if c.startswith("num_")],
        categorical_columns=[c for c in ref.columns if c.startswith("cat_")],
    )

    def run() -> dict[str, Any]:
        report = Report([DataDriftPreset()])
        snapshot = report.run(
            Dataset.from_pandas(cur, data_definition=definition),
            Dataset.from_pandas(ref, data_definition=definition),
        )
        values = [m.get("value") for m in snapshot.dict()["metrics"]]
        return {"metrics": len(values), "drifted": values[0] if values else None}

    return run


# --- measuring -------------------------------------------------------------------------------------


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class PeakSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss()
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss())
            time.sleep(0.002)

    def stop(self) -> int:
        self.running = False
        self.join()
        return max(self.peak, rss())


def worker(engine: str, rows: int, cols: int, seed: int) -> dict[str, Any]:
    ref, cur = make_data(rows, cols, seed)
    if engine.startswith("engine"):
        run = run_engine(ref, cur, engine)
    elif engine == "scipy":
        run = run_scipy(ref, cur)
    else:
        run = run_evidently(ref, cur)
    baseline = rss()
    sampler = PeakSampler()
    sampler.start()
    began = time.perf_counter()
    results = run()
    seconds = time.perf_counter() - began
    peak = sampler.stop()
    return {
        "engine": engine,
        "rows": rows,
        "cols": cols,
        "seconds": seconds,
        "peak_above_data_mb": (peak - baseline) / 2**20,
        "loaded_rss_mb": baseline / 2**20,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "results": results,
    }


def spawn(engine: str, rows: int, cols: int, seed: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", engine, str(rows), str(cols), "--seed", str(seed)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{engine} {rows}x{cols} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- checking and reporting ------------------------------------------------------------------------


def agreement(engine: dict[str, Any], scipy: dict[str, Any]) -> list[str]:
    """Where the engine's KS, chi-square and PSI differ from the scipy loop by more than 1e-9."""
    problems = []
    for key, (stat, p, drifted, _status) in scipy["results"].items():
        mine = engine["results"].get(key)
        if mine is None:
            problems.append(f"{key}: missing from the engine's results")
            continue
        for label, a, b in (("statistic", mine[0], stat), ("p-value", mine[1], p)):
            if b is None:
                continue
            if a is None or not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9):
                problems.append(f"{key} {label}: engine {a!r} vs scipy {b!r}")
        if mine[2] != drifted:
            problems.append(f"{key} verdict: engine {mine[2]} vs scipy {drifted}")
    return problems


def table(records: list[dict[str, Any]]) -> str:
    by = {(r["engine"], r["rows"], r["cols"]): r for r in records}
    lines = [
        "| size | engine | wall time (s) | peak memory above data (MB) | time vs engine | memory vs engine |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for (engine, rows, cols), r in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        base = by.get(("engine", rows, cols))
        size = f"{rows // 1000}k x {cols}" if rows < 1_000_000 else f"{rows // 1_000_000}M x {cols}"
        ratio_t = f"{r['seconds'] / base['seconds']:.1f}x" if base else "-"
        ratio_m = (
            f"{r['peak_above_data_mb'] / base['peak_above_data_mb']:.1f}x"
            if base and base["peak_above_data_mb"] > 0
            else "-"
        )
        seconds, memory = f"{r['seconds']:.2f}", f"{r['peak_above_data_mb']:.0f}"
        lines.append(f"| {size} | {engine} | {seconds} | {memory} | {ratio_t} | {ratio_m} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated, from {', '.join(SIZES)}")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each case this many times, keep the fastest (shared machines)",
    )
    parser.add_argument("--out", help="append each result as a JSON line to this file")
    parser.add_argument("--report", help="print the table of a results file and exit")
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "ROWS", "COLS"), help=argparse.SUPPRESS)
    parser.add_argument("--process", action="store_true", help="monitor drift on files, whole process")
    parser.add_argument("--cases", default="cli,floor,floor-dict,evidently-process", help="with --process")
    parser.add_argument(
        "--files-dir",
        default="/tmp/bench-drift-files",
        help="where the generated Parquet files are kept (reused)",
    )
    parser.add_argument("--process-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.process or args.process_worker:
        return process_main(args)
    if args.worker:
        engine, rows, cols = args.worker
        print(json.dumps(worker(engine, int(rows), int(cols), args.seed)))
        return 0
    if args.report:
        records = [json.loads(line) for line in Path(args.report).read_text().splitlines() if line.strip()]
        print(table(records))
        return 0
    records, failures = [], 0
    for size in args.sizes.split(","):
        rows, cols = SIZES[size]
        by_engine = {}
        for engine in args.engines.split(","):
            runs = [spawn(engine, rows, cols, args.seed) for _ in range(args.repeat)]
            record = min(runs, key=lambda r: r["seconds"])
            record["repeats"] = len(runs)
            by_engine[engine] = record
            records.append(record)
            print(
                f"{size:>8} {engine:>12}: {record['seconds']:8.2f} s, "
                f"{record['peak_above_data_mb']:8.0f} MB above data",
                flush=True,
            )
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps({k: v for k, v in record.items() if k != "results"}) + "\n")
        for engine in ("engine", "engine-warm"):
            if engine in by_engine and "scipy" in by_engine:
                problems = agreement(by_engine[engine], by_engine["scipy"])
                failures += len(problems)
                verdict = "agree to 1e-9" if not problems else f"{len(problems)} differences"
                print(
                    f"{size:>8} {engine} vs scipy (KS, chi2, PSI statistics, p-values, verdicts): {verdict}"
                )
                for problem in problems[:20]:
                    print("    " + problem)
    print()
    print(table(records))
    return 1 if failures else 0


def process_main(args: argparse.Namespace) -> int:
    from drift_process import evidently_worker, floor_worker, process_benchmark

    if args.process_worker:
        kind, ref, cur = args.process_worker
        if kind.startswith("floor"):
            print(json.dumps(floor_worker(Path(ref), Path(cur), dictionary=kind == "floor-dict")))
        else:
            print(json.dumps(evidently_worker(Path(ref), Path(cur))))
        return 0
    for size in args.sizes.split(","):
        rows, cols = SIZES[size]
        for _ in range(args.repeat):
            process_benchmark(rows, cols, args.seed, args.cases.split(","), Path(args.files_dir), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
