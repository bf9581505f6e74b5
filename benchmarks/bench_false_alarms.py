"""`tests: auto` over a year of windows of 100 features: false alarms without drift, and planted drift found.

The data are tests/drift/simulation.py's (50 numerical features of ten shapes, 50 categorical with 3 to
30 levels, rare levels among them); each year is judged by the pure engine against one reference
profile. For each reference size and window size it prints, over the windows:
- `any`: the share of windows of unchanged data in which some column was flagged (the default
  settings: Benjamini-Yekutieli across the columns, the reference band);
- `plain`: the same windows judged column by column at p < 0.05, as `auto` did before;
- `max col`: the largest share of windows any one column was flagged in (default settings);
- `found`: at the window size of 1,000 rows, the share of windows in which all five planted drifts
  were found (3 numerical columns shifted by 0.5 std, 2 categorical columns with their most common
  level's share moved by 10 points), and the largest share of windows a column without drift was
  flagged in then.

    PYTHONPATH=. python benchmarks/bench_false_alarms.py                      # 12,000-row reference
    PYTHONPATH=. python benchmarks/bench_false_alarms.py --reference 2000,12000,50000 --windows 365
"""

from __future__ import annotations

import argparse
import time

from tests.drift.simulation import hundred_features, reference_profile, simulate_year

SHIFTS = {"n0": 0.5, "n3": 0.5, "n8": 0.5}
MOVES = {"c0": (0, 0.1), "c49": (0, 0.1)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reference", default="12000", help="reference sizes, comma-separated")
    parser.add_argument("--rows", default="1000,60", help="window sizes, comma-separated")
    parser.add_argument("--windows", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    features = hundred_features()
    names = ("any", "plain", "max col", "found", "other", "s/year")
    print(f"{'reference':>9} {'rows':>5} " + " ".join(f"{n:>7}" for n in names))
    for reference_rows in (int(n) for n in args.reference.split(",")):
        profile = reference_profile(features, seed=args.seed, rows=reference_rows)
        for rows in (int(n) for n in args.rows.split(",")):
            started = time.process_time()
            year = simulate_year(features, profile, seed=rows + args.seed, rows=rows, windows=args.windows)
            worst = max(year.column_rates().values(), default=0.0)
            found = other = "-"
            if rows == 1000:
                drifted = simulate_year(
                    features.drifted(SHIFTS, MOVES),
                    profile,
                    seed=5 + args.seed,
                    rows=rows,
                    windows=args.windows,
                )
                planted = set(SHIFTS) | set(MOVES)
                found = f"{drifted.share_of_windows_finding_all(planted):.1%}"
                rates = [r for c, r in drifted.column_rates().items() if c not in planted]
                other = f"{max(rates, default=0.0):.1%}"
            print(
                f"{reference_rows:>9} {rows:>5} {year.share_of_windows_flagging_any():>7.1%} "
                f"{year.share_of_windows_flagging_any_plainly():>7.1%} {worst:>7.1%} {found:>7} {other:>7} "
                f"{time.process_time() - started:>7.1f}"
            )


if __name__ == "__main__":
    main()
