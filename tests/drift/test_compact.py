"""Compact numerical summaries (compact.py): pieces merge into the whole window's summary, they stay small,
and what they cannot answer is said plainly."""

from __future__ import annotations

import functools
import pickle

import numpy as np
import pandas as pd
import pytest

from monitor.drift import ColumnKind, ColumnOptions, DriftOptions, Status, build_profile, compare_summaries
from monitor.drift.compact import CompactNumericSummary, ReferenceGrid, compact_numeric
from monitor.drift.plan import compact_plan, summarise_piece

from .pieces import merged_pieces, reference_summary

RNG = np.random.default_rng(21)


def test_pieces_merge_into_the_whole_windows_summary() -> None:
    reference = reference_summary(RNG.normal(0, 1, 3000))
    current = np.concatenate([RNG.normal(0.3, 2, 5000), [np.nan, np.inf, -np.inf]])
    RNG.shuffle(current)
    whole = compact_numeric(pd.Series(current), ReferenceGrid.of(reference))
    merged = merged_pieces(reference, current, [0, 1200, 1200, 4000])
    finite = current[np.isfinite(current)]
    assert (merged.rows, merged.missing, merged.count) == (5003, 3, 5000)
    assert (merged.minimum, merged.maximum) == (finite.min(), finite.max())
    assert merged.mean == pytest.approx(np.mean(finite), rel=1e-12)
    assert merged.std == pytest.approx(np.std(finite), rel=1e-12)
    assert whole.grid is not None and merged.grid is not None and merged.quantile_counts is not None
    assert merged.quantile_counts.tolist() == whole.quantile_counts.tolist()  # type: ignore[union-attr]
    for part in ("below", "at", "largest"):
        assert getattr(merged.grid, part).tolist() == getattr(whole.grid, part).tolist()
    assert merged.grid.tails == pytest.approx(whole.grid.tails, rel=1e-12)


def test_a_summary_is_the_size_of_the_reference_grid_not_of_the_window() -> None:
    reference = reference_summary(RNG.normal(0, 1, 10_000))
    window = compact_numeric(pd.Series(RNG.normal(0, 1, 1_000_000)), ReferenceGrid.of(reference))
    # 32 bytes per distinct reference value (two counts, a maximum and a sum), not 8 per window value.
    assert len(pickle.dumps(window)) < 10_000 * 32 + 4_000


def test_pieces_against_different_references_do_not_merge() -> None:
    current = pd.Series(RNG.normal(0, 1, 100))
    first = compact_numeric(current, ReferenceGrid.of(reference_summary(RNG.normal(0, 1, 200))))
    second = compact_numeric(current, ReferenceGrid.of(reference_summary(RNG.normal(0, 1, 200))))
    with pytest.raises(ValueError, match="same reference profile"):
        first.merge(second)


def test_a_window_summarised_against_another_profile_is_not_judged() -> None:
    reference = pd.DataFrame({"x": RNG.normal(0, 1, 500)})
    other = build_profile(pd.DataFrame({"x": RNG.normal(0, 1, 500)}))
    current = summarise_piece(pd.DataFrame({"x": RNG.normal(0, 1, 500)}), compact_plan(other))
    result = compare_summaries(build_profile(reference), current, DriftOptions(tests=("ks",)))
    assert result.results[0].status is Status.NOT_APPLICABLE
    reason = result.results[0].details["reason"]
    assert reason == "the current window was summarised against another reference profile"


def test_too_many_distinct_values_for_psis_value_bins_is_said_not_miscounted() -> None:
    # Three reference values: PSI's bins are one per distinct value of either side, and two pieces
    # of 40,000 distinct current values each are more than the 65,536 that can be counted in pieces.
    reference = pd.DataFrame({"x": np.repeat([0.0, 1.0, 2.0], 200)})
    numerical = {"x": ColumnOptions(kind=ColumnKind.NUMERICAL)}
    options = DriftOptions(tests=("psi", "jensenshannon", "ks"), columns=numerical)
    profile = build_profile(reference, options)
    plan = compact_plan(profile, options)
    pieces = [summarise_piece(pd.DataFrame({"x": RNG.uniform(0, 2, 40_000)}), plan) for _ in range(2)]
    merged = functools.reduce(lambda a, b: a.merge(b), pieces)
    column = merged.columns["x"]
    assert isinstance(column, CompactNumericSummary) and column.value_counts is None
    psi, js, ks = compare_summaries(profile, merged, options).results
    assert (psi.status, js.status) == (Status.NOT_APPLICABLE, Status.NOT_APPLICABLE)
    assert "more than 65536" in str(psi.details["reason"]) and "too many to count in pieces" in str(
        psi.details["reason"]
    )
    assert ks.status is Status.OK and ks.details["computed_from"] == "exact_merge"
