from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.quality import (
    QualityCheck,
    QualityOptions,
    QualityReference,
    QualityReport,
    assess_window,
    describe_reference,
)


@pytest.fixture
def reference_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [20.0, 35.0, 50.0, 65.0, np.nan],
            "city": ["paris", "lyon", "paris", "nice", "lyon"],
            "vip": [True, False, False, True, False],
        }
    )


@pytest.fixture
def reference(reference_frame: pd.DataFrame) -> QualityReference:
    """What the checks are given: the reference's summary (a run reads it from the stored profile)."""
    return describe_reference(reference_frame)


def checks_of(report: QualityReport, check: str) -> dict[str, QualityCheck]:
    return {c.column: c for c in report.checks if c.check == check}


def test_a_clean_window_has_no_finding_but_reports_every_column(
    reference: QualityReference, reference_frame: pd.DataFrame
) -> None:
    current = pd.DataFrame(
        {"ts": pd.Timestamp("2026-01-01", tz="UTC"), **reference_frame.iloc[:4].to_dict("list")}
    )
    report = assess_window(
        current, reference, columns=["age", "city", "vip"], recent_row_counts=[4, 5, 3], ignore=["ts"]
    )
    assert report.findings == ()
    assert [(c.check, c.column) for c in report.checks] == [
        ("row_count", ""),
        ("missing_share", "age"),
        ("out_of_range", "age"),
        ("missing_share", "city"),
        ("new_categories", "city"),
        ("missing_share", "vip"),
        ("new_categories", "vip"),
    ]
    assert checks_of(report, "missing_share")["age"].details["reference_share"] == 0.2


def test_an_empty_window_is_a_finding_not_a_silence(
    reference: QualityReference, reference_frame: pd.DataFrame
) -> None:
    report = assess_window(
        reference_frame.iloc[0:0], reference, columns=["age"], recent_row_counts=[100, 120]
    )
    (only,) = report.checks
    assert (only.check, only.value, only.finding, only.message) == (
        "row_count",
        0,
        True,
        "the window has no rows",
    )


def test_row_count_change_against_the_median_of_recent_windows(
    reference: QualityReference, reference_frame: pd.DataFrame
) -> None:
    current = pd.concat([reference_frame] * 2, ignore_index=True)  # 10 rows
    report = assess_window(current, reference, columns=[], recent_row_counts=[4, 20, 5, 6, 30])
    (count,) = report.checks
    # median 6 -> 10 / 6 - 1 = 0.667 more, above the 0.5 default
    assert count.finding and count.details["change"] == pytest.approx(10 / 6 - 1)
    calm = assess_window(current, reference, columns=[], recent_row_counts=[9, 11])
    assert not calm.checks[0].finding


def test_missing_share_finds_an_increase_over_the_reference(reference: QualityReference) -> None:
    current = pd.DataFrame({"age": [30.0, np.nan, np.inf, 40.0], "city": [None, None, "paris", "lyon"]})
    report = assess_window(current, reference, columns=["age", "city"])
    missing = checks_of(report, "missing_share")
    assert missing["age"].value == 0.5 and missing["age"].finding  # NaN and inf; reference had 20%
    assert missing["city"].value == 0.5 and missing["city"].finding


def test_schema_changes_missing_new_and_retyped_columns(reference: QualityReference) -> None:
    current = pd.DataFrame(
        {"age": ["old", "young"], "vip": [True, False], "colour": ["red", "blue"], "id": [1, 2]}
    )
    report = assess_window(current, reference, columns=["age", "city", "vip"], ignore=["id"])
    kinds = {(c.check, c.column) for c in report.findings}
    assert kinds == {("type_change", "age"), ("missing_column", "city"), ("new_column", "colour")}
    assert checks_of(report, "type_change")["age"].details == {"reference": "number", "current": "text"}


def test_values_outside_the_reference_range(reference: QualityReference) -> None:
    current = pd.DataFrame({"age": [10.0, 30.0, 40.0, 70.0, 80.0] + [45.0] * 95})
    (_, _, out) = assess_window(current, reference, columns=["age"]).checks
    assert (out.value, out.finding) == (0.03, True)
    assert (out.details["below"], out.details["above"], out.details["reference_max"]) == (1, 2, 65.0)
    lenient = assess_window(
        current, reference, columns=["age"], options=QualityOptions(out_of_range_share=0.05)
    )
    assert not lenient.checks[2].finding


def test_new_categories_are_listed_with_their_counts(reference: QualityReference) -> None:
    current = pd.DataFrame({"city": ["paris", "lille", "lille", "brest", None]})
    (_, _, new) = assess_window(current, reference, columns=["city"]).checks
    assert new.finding and new.details["new"] == {"lille": 2, "brest": 1}
    assert new.value == pytest.approx(3 / 4)


def test_kinds_from_the_drift_engine_pick_the_check(
    reference: QualityReference, reference_frame: pd.DataFrame
) -> None:
    current = reference_frame.assign(age=[1.0, 2.0, 3.0, 4.0, 5.0])
    report = assess_window(
        current, reference, columns=["age", "city"], kinds={"age": "categorical", "city": "skipped"}
    )
    assert {(c.check, c.column) for c in report.checks} == {
        ("row_count", ""),
        ("missing_share", "age"),
        ("new_categories", "age"),
        ("missing_share", "city"),
    }


def test_signals_for_alert_rules(reference: QualityReference) -> None:
    current = pd.DataFrame({"age": [10.0, 30.0, 40.0, 99.0], "colour": ["red"] * 4})
    signals = assess_window(current, reference, columns=["age", "city"], recent_row_counts=[8]).signals()
    assert signals["missing_column"] == {"age": 0.0, "city": 1.0, "colour": 0.0}
    assert signals["new_column"] == {"age": 0.0, "city": 0.0, "colour": 1.0}
    assert signals["type_change"] == {"age": 0.0, "city": 0.0, "colour": 0.0}
    assert signals["out_of_range"] == {"age": 0.5}
    assert signals["row_count_change"] == {"": -0.5}


def test_new_categories_of_a_categorical_are_those_of_its_strings() -> None:
    """A categorical (as a files source reads string features) is checked on its codes: the same
    check, counts, order of ties and listed categories as the same values given as strings."""
    rng = np.random.default_rng(3)
    known = [f"k{i}" for i in range(5)]
    new = [f"n{i}" for i in range(30)]  # more than are listed, many with equal counts
    values = rng.choice([*known, *new], size=2000).astype(object)
    values[rng.random(2000) < 0.1] = None
    reference = describe_reference(pd.DataFrame({"c": known * 3}))
    as_strings = pd.DataFrame({"c": pd.Series(values, dtype=object)})
    # Categories in another order than the values', one never used, and one known unused.
    categories = [*reversed(new), "unused", *known]
    as_categorical = pd.DataFrame({"c": pd.Categorical(values, categories=categories)})
    expected = checks_of(assess_window(as_strings, reference, columns=["c"]), "new_categories")["c"]
    found = checks_of(assess_window(as_categorical, reference, columns=["c"]), "new_categories")["c"]
    assert found == expected
    assert list(found.details["new"]) == list(expected.details["new"])
    counts = pd.Series([v for v in values if v is not None and v not in known]).value_counts()
    assert found.details["new_count"] == 30 and found.value == pytest.approx(counts.sum() / 1800, abs=0.05)
    assert found.value == pytest.approx(counts.sum() / sum(v is not None for v in values))


def test_new_categories_of_a_categorical_of_numbers_compare_their_text() -> None:
    reference = describe_reference(pd.DataFrame({"c": ["1", "2", "2"]}))
    codes = pd.DataFrame({"c": pd.Categorical([1, 2, 3, 3, None, 4])})
    plain = pd.DataFrame({"c": pd.Series(["1", "2", "3", "3", None, "4"], dtype=object)})
    (found,) = [
        c for c in assess_window(codes, reference, columns=["c"]).checks if c.check == "new_categories"
    ]
    (expected,) = [
        c for c in assess_window(plain, reference, columns=["c"]).checks if c.check == "new_categories"
    ]
    assert found == expected and found.details["new"] == {"3": 2, "4": 1}
    assert found.value == pytest.approx(3 / 5)


def test_an_integer_column_that_is_float_where_a_value_is_missing_has_no_new_categories() -> None:
    """1 and 1.0 are one category (monitor.quality.labels): a window whose missing value made the
    column float, or a piece of it read on a cluster, finds only its truly new values."""
    reference = describe_reference(pd.DataFrame({"c": [1, 2, 2, 3]}), kinds={"c": "categorical"})
    window = pd.DataFrame({"c": [1.0, 2.0, None, 7.0, 7.0]})
    (found,) = [
        c
        for c in assess_window(window, reference, columns=["c"], kinds={"c": "categorical"}).checks
        if c.check == "new_categories"
    ]
    assert found.details["new"] == {"7": 2}
    assert found.value == pytest.approx(2 / 4)
