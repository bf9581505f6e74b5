"""The change detectors' false-alarm rate without change, and their delay after a shift, by simulation.

Series of independent N(0, 1) windows (a metric standardised by its reference level and spread), the
detectors of monitor.metrics.change run over all of them at once. Reported per detector and setting:
- the false-alarm rate: alarms started per window over every window of every series (an alarm holds
  until its statistic is back at 0, so this is one over the mean time between false alarms);
- the average run length: the mean number of windows to the first alarm, from series long enough
  that nearly every one alarmed (the few that did not count their full length: a lower bound);
- the mean delay to the alarm after a shift of 1 standard deviation (down) at window 50, over the
  series without a false alarm before it.

CUSUM's run length is printed beside Siegmund's approximation (`cusum_average_run_length`), which the
docs quote; Page-Hinkley's is what PAGE_HINKLEY_ARL in monitor/metrics/change.py records.

    python benchmarks/bench_change_arl.py                    # 4,000 series of 5,000 windows
    python benchmarks/bench_change_arl.py --series 1000 --windows 3000 --seed 3
"""

from __future__ import annotations

import argparse

import numpy as np

from monitor.metrics.change import cusum_average_run_length, cusum_path, page_hinkley_path

RUNS = {"cusum": cusum_path, "page_hinkley": page_hinkley_path}


def first_alarm(alarm: np.ndarray) -> np.ndarray:
    hit = alarm.any(axis=-1)
    first = np.argmax(alarm, axis=-1) + 1
    return np.where(hit, first, alarm.shape[-1])


def measure(name: str, allowance: float, threshold: float, series: int, windows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(series, windows))
    path = RUNS[name](z, allowance=allowance, threshold=threshold)
    onsets = path.alarm[:, 1:] & ~path.alarm[:, :-1]
    started = int(onsets.sum() + path.alarm[:, 0].sum())
    arl = float(first_alarm(path.alarm).mean())
    shifted = rng.normal(size=(series, 450))
    shifted[:, 50:] -= 1.0
    alarm = RUNS[name](-shifted, allowance=allowance, threshold=threshold).alarm
    clean = ~alarm[:, :50].any(axis=1)  # series without a false alarm before the shift
    delay = first_alarm(alarm[clean, 50:])
    theory = f"  Siegmund {cusum_average_run_length(allowance, threshold):7.0f}" if name == "cusum" else ""
    print(
        f"{name:13s} k={allowance:<4g} h={threshold:<4g} false alarms per 1,000 windows "
        f"{1000 * started / (series * windows):6.3f}   run length {arl:7.0f}{theory}   "
        f"delay after 1 sd {delay.mean():5.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--series", type=int, default=4000)
    parser.add_argument("--windows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    for name in RUNS:
        for threshold in (4.0, 5.0, 6.0):
            measure(name, 0.5, threshold, args.series, args.windows, args.seed)


if __name__ == "__main__":
    main()
