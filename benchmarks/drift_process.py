"""`monitor drift` on two Parquet files, timed as a user runs it (a whole process), beside its floor.

Used by `bench_drift.py --process` (see its docstring). The files are written once per size and
seed into a directory (default /tmp/bench-drift-files, reused between runs), from the same
generated data as the in-memory cases. In one run, one after the other:

- `cli`: `python -m monitor.cli drift REF CUR --tests ks,chi2,psi --format json -o FILE`, the wall
  time of the whole process (interpreter start, imports, reading, comparing, writing the JSON);
- `floor`: in a fresh process, `pyarrow.parquet.read_table` of both files (every column, as Arrow
  tables), plus the engine's warm comparison: `compare_datasets(profile, current)` against a
  reference profile built beforehand, on the current file as `monitor drift` reads it. The issue's
  target is cli <= 1.5 x floor;
- `floor-dict`: the same, but read_table with the string columns dictionary-encoded
  (`read_dictionary`), as `monitor drift` reads them: a tighter floor, since plain read_table
  decodes every string of the 50 string columns into Arrow string arrays;
- `evidently-process`: a whole process reading both files with `pandas.read_parquet` and running
  `Report([DataDriftPreset()])` on them with the column types declared (as `bench_drift.py`'s
  `evidently` case); the target is cli at least 60 x faster.

The load average (1 minute) is recorded before and after each case: the machine may be shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTS = "ks,chi2,psi"


def write_files(rows: int, cols: int, seed: int, directory: Path) -> tuple[Path, Path]:
    from bench_drift import make_data  # the same data as the in-memory cases

    directory.mkdir(parents=True, exist_ok=True)
    ref_path = directory / f"ref-{rows}x{cols}-{seed}.parquet"
    cur_path = directory / f"cur-{rows}x{cols}-{seed}.parquet"
    if not (ref_path.exists() and cur_path.exists()):
        ref, cur = make_data(rows, cols, seed)
        ref.to_parquet(ref_path, index=False)
        cur.to_parquet(cur_path, index=False)
    return ref_path, cur_path


def load() -> float:
    return os.getloadavg()[0]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "DO_NOT_TRACK": "1"}


def timed(command: list[str]) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def run_cli(ref: Path, cur: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "drift.json"
        command = [sys.executable, "-m", "monitor.cli", "drift", str(ref), str(cur)]
        seconds, _ = timed([*command, "--tests", TESTS, "--format", "json", "-o", str(out)])
        report = json.loads(out.read_text())
    return {"seconds": seconds, "results": len(report["results"]), "drift_share": report["drift_share"]}


def floor_worker(ref: Path, cur: Path, dictionary: bool = False) -> dict[str, Any]:
    """In a process of its own: read_table of both files, then the warm comparison."""
    sys.path.insert(0, str(ROOT))
    import pyarrow as pa
    import pyarrow.parquet as pq

    from monitor.drift import CONTRACT_TESTS, DriftOptions, build_profile, compare_datasets
    from monitor.services.adhoc import read_parquet

    strings = [f.name for f in pq.read_schema(ref) if pa.types.is_string(f.type)] if dictionary else None
    began = time.perf_counter()
    tables = [pq.read_table(ref, read_dictionary=strings), pq.read_table(cur, read_dictionary=strings)]
    read_seconds = time.perf_counter() - began
    del tables
    options = DriftOptions(tests=CONTRACT_TESTS)
    profile = build_profile(read_parquet(ref), options)
    current = read_parquet(cur)
    began = time.perf_counter()
    drift = compare_datasets(profile, current, options)
    warm_seconds = time.perf_counter() - began
    return {
        "read_table_seconds": read_seconds,
        "warm_seconds": warm_seconds,
        "seconds": read_seconds + warm_seconds,
        "results": len(drift.results),
    }


def evidently_worker(ref_path: Path, cur_path: Path) -> dict[str, Any]:
    """The whole of what an Evidently user's script does: read both files, run the preset."""
    import pandas as pd
    from bench_drift import run_evidently

    ref, cur = pd.read_parquet(ref_path), pd.read_parquet(cur_path)
    return run_evidently(ref, cur)()


def run_case(case: str, ref: Path, cur: Path) -> dict[str, Any]:
    before = load()
    if case == "cli":
        record = run_cli(ref, cur)
    else:
        worker = case if case.startswith("floor") else "evidently"
        bench = str(Path(__file__).with_name("bench_drift.py"))
        seconds, stdout = timed([sys.executable, bench, "--process-worker", worker, str(ref), str(cur)])
        record = json.loads(stdout.strip().splitlines()[-1])
        if case == "evidently-process":
            record = {"seconds": seconds, "evidently": record}
    return {"case": case, **record, "load_before": before, "load_after": load()}


def process_benchmark(
    rows: int, cols: int, seed: int, cases: list[str], directory: Path, out: str | None
) -> list[dict[str, Any]]:
    ref, cur = write_files(rows, cols, seed, directory)
    records = []
    for case in cases:
        record = {"rows": rows, "cols": cols, **run_case(case, ref, cur)}
        records.append(record)
        print(
            f"{rows}x{cols} {case:>18}: {record['seconds']:8.2f} s "
            f"(load {record['load_before']:.2f} -> {record['load_after']:.2f})"
            + (
                f"  [read_table {record['read_table_seconds']:.2f} s + warm {record['warm_seconds']:.2f} s]"
                if case.startswith("floor")
                else ""
            ),
            flush=True,
        )
        if out:
            with open(out, "a") as f:
                f.write(json.dumps(record) + "\n")
    by = {r["case"]: r["seconds"] for r in records}
    for floor in ("floor", "floor-dict"):
        if "cli" in by and floor in by:
            print(f"cli / {floor}: {by['cli'] / by[floor]:.2f} (target <= 1.5)")
    if "cli" in by and "evidently-process" in by:
        print(f"evidently-process / cli: {by['evidently-process'] / by['cli']:.1f} (target >= 60)")
    return records
