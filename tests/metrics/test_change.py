"""CUSUM and Page-Hinkley: the recursion by hand, the average run length against Montgomery's table,
the false-alarm rate on simulated stable series, and a slow decline no single window shows."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.metrics.change import (
    PAGE_HINKLEY_ARL,
    ChangeParameters,
    cusum_average_run_length,
    cusum_path,
    detect_changes,
    page_hinkley_path,
    standardise,
)

SERIES_WINDOWS = 1000
PARAMETERS = ChangeParameters(mean=0.85, std=0.012, chunk_rows=1000)


def test_cusum_by_hand() -> None:
    # Down, k = 0.5, h = 2.2: C = 0, .5, 2 (not above h), 4.5 (alarm; the run began at window 1),
    # 3 and .5 (held), 0 (over).
    z = [0.0, -1.0, -2.0, -3.0, 1.0, 2.0, 2.0, -0.2]
    values = [0.85 + 0.012 * v for v in z]
    steps = detect_changes(values, None, PARAMETERS, allowance=0.5, threshold=2.2)
    assert [round(s.statistic, 9) for s in steps] == [0.0, 0.5, 2.0, 4.5, 3.0, 0.5, 0.0, 0.0]
    assert [s.alarm for s in steps] == [False, False, False, True, True, True, False, False]
    assert [s.began for s in steps] == [None, None, None, 1, 1, 1, None, None]
    assert steps[3].direction == "down"


def test_missing_windows_leave_the_detector_as_it_was() -> None:
    values = [0.85 - 0.012 * 2, None, 0.85 - 0.012 * 2]
    steps = detect_changes(values, [1000, 0, 1000], PARAMETERS, allowance=0.5, threshold=2.5)
    assert [s.statistic for s in steps] == pytest.approx([1.5, 1.5, 3.0])
    assert steps[2].alarm and steps[2].began == 0


def test_the_spread_follows_the_window_size() -> None:
    # 4 times the chunk's rows: half its standard deviation, so the same gap is twice the z.
    z = standardise([0.85 - 0.012, 0.85 - 0.012], [1000, 4000], PARAMETERS)
    assert z.tolist() == pytest.approx([-1.0, -2.0])


def test_page_hinkley_by_hand() -> None:
    # Up, delta = 0: m_t = sum (z_i - mean_i); means 1, 1, 1, 2.5; m = 0, 0, 0, 4.5.
    path = page_hinkley_path(np.array([[1.0, 1.0, 1.0, 7.0]]), allowance=0.0, threshold=1.0)
    assert path.statistic[0].tolist() == pytest.approx([0.0, 0.0, 0.0, 4.5])
    assert path.alarm[0].tolist() == [False, False, False, True]
    assert path.began[0, 3] == 3  # after the last minimum of m


def test_siegmund_against_montgomerys_table() -> None:
    """Montgomery, Introduction to Statistical Quality Control, table 9.3 (two-sided tabular CUSUM,
    k = 1/2): ARL 168 at h = 4 and 465 at h = 5 without shift, 10.4 at h = 5 for a 1-sigma shift."""
    two_sided = {h: cusum_average_run_length(0.5, h) / 2 for h in (4.0, 5.0)}
    assert two_sided[4.0] == pytest.approx(168, rel=0.02)
    assert two_sided[5.0] == pytest.approx(465, rel=0.02)
    assert cusum_average_run_length(0.5, 5.0, shift=1.0) == pytest.approx(10.4, rel=0.02)


def _alarms_started(alarm: np.ndarray) -> int:
    return int(alarm[..., 0].sum() + (alarm[..., 1:] & ~alarm[..., :-1]).sum())


@pytest.mark.parametrize(
    ("run", "arl"),
    [(cusum_path, cusum_average_run_length(0.5, 5.0)), (page_hinkley_path, PAGE_HINKLEY_ARL)],
)
def test_stable_series_raise_no_more_false_alarms_than_documented(run, arl: float) -> None:
    """1,000 series of 1,000 windows without change: the alarms started are those of the documented
    average run length (one per ARL windows), within three standard deviations of a Poisson count."""
    series = 1000
    z = np.random.default_rng(21).normal(size=(series, SERIES_WINDOWS))
    started = _alarms_started(run(-z, allowance=0.5, threshold=5.0).alarm)
    documented = series * SERIES_WINDOWS / arl
    assert started <= documented + 3 * np.sqrt(documented)
    assert started >= 0.8 * documented  # and the documented rate is not a loose bound


def test_both_directions_double_the_rate() -> None:
    """The public entry point, watching both directions, on metric values of windows of varying size."""
    rng = np.random.default_rng(22)
    started, series = 0, 60
    for _ in range(series):
        rows = rng.integers(500, 2000, SERIES_WINDOWS)
        values = PARAMETERS.mean + rng.normal(size=SERIES_WINDOWS) * PARAMETERS.std * np.sqrt(1000 / rows)
        steps = detect_changes(values.tolist(), rows.tolist(), PARAMETERS, direction="both")
        started += _alarms_started(np.array([s.alarm for s in steps]))
    documented = 2 * series * SERIES_WINDOWS / cusum_average_run_length(0.5, 5.0)
    assert 0.7 * documented <= started <= documented + 3 * np.sqrt(documented)


DECLINE_START, DECLINE_WINDOWS = 100, 60
DETECTED_WITHIN = 60  # windows after the decline began


def _declining(rng: np.random.Generator, series: int) -> np.ndarray:
    """z of windows: stable for 100, then sliding by 1 standard deviation over 60, then staying there."""
    trend = np.concatenate(
        [np.zeros(DECLINE_START), np.linspace(0, -1, DECLINE_WINDOWS), np.full(DECLINE_WINDOWS, -1.0)]
    )
    return trend + rng.normal(size=(series, len(trend)))


def test_cusum_finds_a_slow_decline_that_no_window_crosses() -> None:
    z = _declining(np.random.default_rng(11), 1)[0]
    # A fixed threshold at 3 standard deviations below the reference never fires on this series.
    assert z.min() > -3
    values = (PARAMETERS.mean + PARAMETERS.std * z).tolist()
    steps = detect_changes(values, [1000] * len(values), PARAMETERS)
    alarms = [t for t, s in enumerate(steps) if s.alarm]
    assert alarms and DECLINE_START <= alarms[0] < DECLINE_START + DETECTED_WITHIN
    began = steps[alarms[0]].began
    assert began is not None and DECLINE_START - 5 <= began <= DECLINE_START + DECLINE_WINDOWS
    assert all(s.alarm for s in steps[alarms[0] :])  # the level stays down: the alarm holds


def test_the_decline_is_found_in_time_on_most_series() -> None:
    z = _declining(np.random.default_rng(6), 2000)
    for run, share in ((cusum_path, 0.9), (page_hinkley_path, 0.75)):
        alarm = run(-z, allowance=0.5, threshold=5.0).alarm
        clean = ~alarm[:, :DECLINE_START].any(axis=1)  # no false alarm before the decline
        found = alarm[clean, DECLINE_START : DECLINE_START + DETECTED_WITHIN].any(axis=1)
        assert found.mean() >= share, run.__name__
    # A single-window rule at 3 standard deviations misses it on far more series in that time.
    shewhart = (z[:, DECLINE_START : DECLINE_START + DETECTED_WITHIN] < -3).any(axis=1)
    assert shewhart.mean() < 0.6


def test_a_step_change_is_dated() -> None:
    rng = np.random.default_rng(7)
    z = rng.normal(size=(500, 300))
    z[:, 200:] -= 2.0
    for run in (cusum_path, page_hinkley_path):
        path = run(-z, allowance=0.5, threshold=5.0)
        clean = ~path.alarm[:, :200].any(axis=1)
        first = np.argmax(path.alarm[clean, 200:], axis=1) + 200
        began = path.began[clean][np.arange(clean.sum()), first]
        assert np.median(np.abs(began - 200)) <= 1, run.__name__
