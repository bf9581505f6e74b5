"""Quality facts of a window's pieces merged give the checks of the whole window: the same missing
shares, out-of-range and new-category shares, listed categories and type changes, whatever the split."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from monitor.quality import QualityReport, assess_window, describe_reference
from monitor.quality.checks import assess_facts, window_column_facts
from monitor.quality.facts import MIXED, ColumnFacts, merge_family

COLUMNS = ["x", "n", "colour", "flag", "mixed"]


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(5)
    reference = pd.DataFrame(
        {
            "x": rng.normal(0, 1, 500),
            "n": rng.integers(0, 10, 500),
            "colour": rng.choice(["red", "blue"], 500),
            "flag": rng.random(500) < 0.5,
            "mixed": rng.normal(0, 1, 500),
        }
    )
    n = 900
    x = rng.normal(0.5, 1.5, n)
    x[rng.random(n) < 0.1] = np.nan
    x[:3] = [np.inf, -np.inf, np.nan]
    colour = pd.Series(rng.choice(["red", "blue", "green", "pink", "teal"], n), dtype=object)
    colour[rng.random(n) < 0.05] = None
    mixed = pd.Series(rng.normal(0, 1, n), dtype=object)
    mixed[700:] = "text"  # numbers in the first pieces, text in the last: mixed only when merged
    current = pd.DataFrame(
        {"x": x, "n": rng.integers(-2, 14, n), "colour": colour, "flag": rng.random(n) < 0.2, "mixed": mixed}
    )
    current["new_one"] = 1
    return reference, current


def merged_report(current: pd.DataFrame, cuts: list[int], recent: tuple[int, ...] = ()) -> QualityReport:
    reference, _ = frames()
    summary = describe_reference(reference)
    merged: dict[str, ColumnFacts] = {}
    bounds = [0, *cuts, len(current)]
    for piece in (current.iloc[a:b] for a, b in itertools.pairwise(bounds)):
        for name, facts in window_column_facts(piece, summary, COLUMNS).items():
            merged[name] = merged[name].merge(facts) if name in merged else facts
    present = [str(c) for c in current.columns]
    return assess_facts(
        len(current), merged, summary, columns=COLUMNS, present=present, recent_row_counts=recent
    )


@pytest.mark.parametrize("cuts", [[], [1], [100, 450, 451, 800], list(range(50, 900, 50))])
def test_merged_pieces_give_the_whole_windows_checks(cuts: list[int]) -> None:
    reference, current = frames()
    whole = assess_window(
        current, describe_reference(reference), columns=COLUMNS, recent_row_counts=[800, 1000]
    )
    assert merged_report(current, cuts, (800, 1000)) == whole


def test_the_facts_count_what_an_independent_count_gives() -> None:
    _, current = frames()
    checks = {(c.check, c.column): c for c in merged_report(current, [300, 600]).checks}
    x = current["x"]
    assert checks[("missing_share", "x")].value == pytest.approx((x.isna() | np.isinf(x)).mean(), abs=1e-12)
    reference, _ = frames()
    finite = x[np.isfinite(x)]
    outside = ((finite < reference["x"].min()) | (finite > reference["x"].max())).mean()
    assert checks[("out_of_range", "x")].value == pytest.approx(outside, abs=1e-12)
    present = current["colour"].dropna()
    assert checks[("new_categories", "colour")].value == pytest.approx(
        (~present.isin(["red", "blue"])).mean(), abs=1e-12
    )
    assert checks[("type_change", "mixed")].details == {"reference": "number", "current": MIXED}
    assert checks[("new_column", "new_one")].finding


def test_families_merge_to_mixed_only_when_pieces_disagree() -> None:
    assert merge_family(None, "text") == merge_family("text", "text") == "text"
    assert merge_family("number", "text") == merge_family(MIXED, "number") == MIXED
