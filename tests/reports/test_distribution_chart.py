"""A column's reference and current distributions as grouped bars: shares per PSI bin or category, new
categories marked, hostile names inert, many categories cut to the largest (new ones kept)."""

from __future__ import annotations

import pytest

from monitor.reports.distribution_chart import MAX_BARS, distribution_figure

QUANTILE = {
    "binning": "quantile",
    "edges": [1.0, 2.0],
    "reference_counts": [25, 50, 25],
    "current_counts": [0, 20, 80],
}


def test_numerical_bins_are_the_psi_bins_with_each_sides_share() -> None:
    figure = distribution_figure("income", QUANTILE)
    assert figure is not None
    reference, current = figure["data"]
    assert reference["x"] == ["&lt; 1.000", "1.000 – 2.000", "≥ 2.000"] == current["x"]  # drawn as "<"
    assert reference["y"] == [0.25, 0.5, 0.25] and current["y"] == [0.0, 0.2, 0.8]
    assert (reference["type"], figure["layout"]["barmode"]) == ("bar", "group")
    assert figure["layout"]["title"]["text"] == "income: share of values per PSI bin"
    assert current["customdata"][0] == ["&lt; 1.000", ""]


def test_categories_new_in_the_current_window_are_marked() -> None:
    details = {
        "binning": "distinct",
        "categories": ["branch", "online", "partner"],
        "reference_counts": [60, 40, 0],
        "current_counts": [30, 30, 40],
    }
    figure = distribution_figure("channel", details)
    assert figure is not None
    reference, current = figure["data"]
    assert current["x"] == ["branch", "online", "partner"]
    assert current["y"] == [0.3, 0.3, 0.4] and reference["y"] == [0.6, 0.4, 0.0]
    assert current["marker"]["color"] == ["#1565c0", "#1565c0", "#ef6c00"]
    assert [c[1] for c in current["customdata"]] == ["", "", " (new: not in the reference)"]
    assert "1 new (orange)" in figure["layout"]["title"]["text"]


def test_hostile_names_are_inert_and_long_ones_shortened_apart() -> None:
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    details = {
        "binning": "distinct",
        "categories": ["<script>alert(1)</script>", "x\u202ey", long_a, long_b],
        "reference_counts": [1, 1, 1, 1],
        "current_counts": [1, 1, 1, 1],
    }
    figure = distribution_figure("<b>col</b>\u202e", details)
    assert figure is not None
    x = figure["data"][0]["x"]
    assert x[0] == "&lt;script&gt;alert(1)&lt;/scrip…" and x[1] == "x⟨U+202E⟩y"
    assert x[2] == "a" * 23 + "…" and x[3] == "a" * 23 + "… (2)"  # equal labels would merge bars
    assert figure["data"][0]["customdata"][3][0] == "a" * 199 + "…"
    assert figure["layout"]["title"]["text"].startswith("&lt;b&gt;col&lt;/b&gt;⟨U+202E⟩:")


def test_many_categories_keep_the_largest_and_every_new_one() -> None:
    n = MAX_BARS + 10
    details = {
        "binning": "distinct",
        "categories": [f"c{i:02d}" for i in range(n)],
        "reference_counts": [*range(1, n), 0],  # the last is new, and small
        "current_counts": [*range(1, n), 1],
    }
    figure = distribution_figure("city", details)
    assert figure is not None
    shown = figure["data"][1]["x"]
    assert len(shown) == MAX_BARS and shown[-1] == f"c{n - 1}" and "c00" not in shown
    assert shown[0] == f"c{n - MAX_BARS:02d}"  # the smallest were left out
    assert "10 smaller bins not shown" in figure["layout"]["title"]["text"]


@pytest.mark.parametrize(
    "details",
    [
        {},  # pruned by retention
        {"binning": "distinct", "bins": 5000, "bins_listed": False},  # too many to list
        {"binning": "quantile", "edges": [1.0], "reference_counts": [1, 2, 3], "current_counts": [1, 2]},
    ],
)
def test_no_figure_without_usable_bins(details: dict) -> None:
    assert distribution_figure("x", details) is None
