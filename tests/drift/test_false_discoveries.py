"""`tests: auto` over a year of windows of 100 features: false alarms rare, real drift found.

The features (simulation.py): 50 numerical of ten shapes (skewed, heavy-tailed, bimodal, discrete with
ties, zero-inflated), 50 categorical with 3 to 30 levels, rare levels among them. The reference has
12,000 rows; each window is a fresh draw from the same distributions (no drift) or with drift planted.
Each year is judged by the pure engine against one profile, as a monitor does (about 10 s a year).
"""

from __future__ import annotations

import pytest

from monitor.drift import ReferenceProfile

from .simulation import Features, hundred_features, reference_profile, simulate_year

FEATURES = hundred_features()
REFERENCE_ROWS = 12_000
WINDOWS = 365
# Three numerical columns of different shapes (normal, log-normal, zero-inflated gamma) shifted by
# half a standard deviation; the most common level of a 3-level column (0.57 -> 0.67) and of a
# 30-level one (0.29 -> 0.39) moved by 10 points.
SHIFTS = {"n0": 0.5, "n3": 0.5, "n8": 0.5}
MOVES = {"c0": (0, 0.1), "c49": (0, 0.1)}


@pytest.fixture(scope="module")
def profile() -> ReferenceProfile:
    return reference_profile(FEATURES, seed=1, rows=REFERENCE_ROWS)


@pytest.mark.parametrize("rows", [1000, 60])
def test_without_drift_fewer_than_5_percent_of_windows_flag_any_column(
    profile: ReferenceProfile, rows: int
) -> None:
    year = simulate_year(FEATURES, profile, seed=rows, rows=rows, windows=WINDOWS)
    assert year.windows == WINDOWS
    assert year.share_of_windows_flagging_any() < 0.05, year.column_rates()
    # The same windows judged column by column at p < 0.05, as before: nearly every one cries wolf.
    assert year.share_of_windows_flagging_any_plainly() > 0.9
    # Small windows mostly have their rare levels merged (Cochran's rule), large ones rarely.
    merged = year.tests.get("chi2_levels (asymptotic, rare levels merged)", 0)
    assert merged > WINDOWS * 40 if rows == 60 else merged < WINDOWS * 10


def test_planted_drift_is_found_in_at_least_90_percent_of_windows(profile: ReferenceProfile) -> None:
    drifted: Features = FEATURES.drifted(SHIFTS, MOVES)
    year = simulate_year(drifted, profile, seed=5, rows=1000, windows=WINDOWS)
    planted = set(SHIFTS) | set(MOVES)
    assert year.share_of_windows_finding_all(planted) >= 0.9, {c: year.column_rates().get(c) for c in planted}
    others = {c: r for c, r in year.column_rates().items() if c not in planted}
    assert max(others.values(), default=0.0) < 0.05
