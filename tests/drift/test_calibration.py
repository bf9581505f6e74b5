"""The reference band: auto's p-values allow for the reference's own sampling error."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitor.drift import (
    CurrentSummary,
    DriftOptions,
    ReferenceProfile,
    Status,
    build_profile,
    compare_datasets,
    compare_summaries,
)
from monitor.drift.summary import NumericSummary, category_summary

RNG = np.random.default_rng(17)


def test_an_auto_ks_p_value_is_the_larger_of_scipys_and_the_dkw_band_bound() -> None:
    ref, cur = RNG.normal(0, 1, 3000), RNG.normal(0.12, 1, 1000)
    (result,) = compare_datasets(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur})).results
    assert result.test == "ks"
    plain = stats.ks_2samp(ref, cur)
    assert result.p_value == pytest.approx(plain.pvalue, rel=1e-9)  # the raw p-value is scipy's
    band = math.sqrt(math.log(2 / 0.1) / (2 * 3000))  # Dvoretzky-Kiefer-Wolfowitz-Massart, 90%
    bound = min(1.0, 2 * math.exp(-2 * 1000 * max(plain.statistic - band, 0) ** 2))
    details = result.details
    assert details["reference_band"]["ks_band"] == pytest.approx(band, rel=1e-12)
    assert details["reference_band"]["reference_share"] == pytest.approx(1000 / 4000)
    assert details["p_value_calibrated"] == pytest.approx(max(plain.pvalue, bound), rel=1e-9)
    assert details["p_value_calibrated"] >= result.p_value


def test_an_auto_chi2_p_value_is_the_noncentral_chi_square_at_the_bands_edge() -> None:
    ref = pd.DataFrame({"c": RNG.choice(["a", "b"], 2000, p=[0.5, 0.5])})
    cur = pd.DataFrame({"c": RNG.choice(["a", "b"], 500, p=[0.45, 0.55])})
    (result,) = compare_datasets(ref, cur).results
    assert result.test == "chi2"
    table = [ref["c"].value_counts().sort_index(), cur["c"].value_counts().sort_index()]
    plain = stats.chi2_contingency(table, correction=False)
    share = 500 / 2500
    edge = stats.chi2.ppf(0.9, 1)
    bound = stats.ncx2.sf(plain.statistic / (1 - share), 1, share * edge / (1 - share))
    assert result.p_value == pytest.approx(plain.pvalue, rel=1e-9)
    assert result.details["p_value_calibrated"] == pytest.approx(max(plain.pvalue, bound), rel=1e-9)


def test_named_tests_and_configured_thresholds_keep_plain_p_values() -> None:
    ref, cur = pd.DataFrame({"x": RNG.normal(0, 1, 500)}), pd.DataFrame({"x": RNG.normal(0.2, 1, 500)})
    for options in (DriftOptions(tests=("ks",)), DriftOptions(thresholds={"ks": 0.05})):
        (result,) = compare_datasets(ref, cur, options).results
        assert result.test == "ks" and result.status is Status.OK
        assert "p_value_calibrated" not in result.details and "p_value_adjusted" not in result.details
        assert result.drifted == (result.p_value is not None and result.p_value < 0.05)


def column_rates(profile: ReferenceProfile, band: float | None, windows: int = 200) -> dict[str, float]:
    """How often each column is flagged at p < 0.05 (no correction) over windows of unchanged data."""
    rng = np.random.default_rng(2)
    options = DriftOptions(correction="none", reference_band=band, parallel=False)
    flagged: dict[str, int] = {}
    for _ in range(windows):
        columns: dict[str, object] = {
            f"x{i}": NumericSummary(np.sort(rng.normal(0, 1, 1000)), 1000, 0) for i in range(20)
        }
        for i in range(20):
            counts = rng.multinomial(1000, SHARES).tolist()
            columns[f"c{i}"] = category_summary(dict(zip(LEVELS, counts, strict=True)), 1000, 0)
        drift = compare_summaries(profile, CurrentSummary(1000, columns), options)  # type: ignore[arg-type]
        for name in drift.drifted_columns:
            flagged[name] = flagged.get(name, 0) + 1
    return {f"{k}{i}": flagged.get(f"{k}{i}", 0) / windows for k in "xc" for i in range(20)}


SHARES = np.array([0.4, 0.25, 0.15, 0.12, 0.08])
LEVELS = [f"l{i}" for i in range(5)]


def test_with_a_reference_as_small_as_the_windows_no_column_cries_wolf_window_after_window() -> None:
    rng = np.random.default_rng(1)
    reference = pd.DataFrame(
        {
            **{f"x{i}": rng.normal(0, 1, 1000) for i in range(20)},
            **{f"c{i}": rng.choice(LEVELS, 1000, p=SHARES) for i in range(20)},
        }
    )
    profile = build_profile(reference)
    plain = column_rates(profile, band=None)
    # Each column is right 95% of the time over references, but given this one, some are flagged
    # in a fifth of the windows: their reference sample sits off its population.
    assert max(plain.values()) > 0.15
    assert sum(rate > 0.08 for rate in plain.values()) >= 4
    calibrated = column_rates(profile, band=0.9)
    assert max(calibrated.values()) <= 0.05, calibrated
