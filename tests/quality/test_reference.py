"""The checks against a stored summary of the reference give exactly what they gave reading the
reference DataFrame (tests/quality/legacy_checks.py, the code before the summary), on generated
data with NaN and infinities, new categories, values out of range, missing and new columns,
changed types, empty windows and kinds overridden in the drift settings."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
import pytest

from monitor.drift import (
    ColumnKind,
    ColumnOptions,
    DriftOptions,
    ReferenceProfile,
    build_profile,
    compare_datasets,
)
from monitor.quality import (
    QualityOptions,
    QualityReference,
    QualityReport,
    ReferenceColumn,
    assess_window,
    describe_reference,
)
from tests.quality import legacy_checks

SEEDS = range(60)
KINDS = ("numerical", "categorical", "skipped")


def _with_gaps(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    values = values.astype(object if values.dtype.kind in "OUb" else float)
    values[rng.random(len(values)) < share] = None if values.dtype == object else np.nan
    return values


def reference_columns(rng: np.random.Generator, n: int) -> dict[str, Any]:
    numbers = rng.normal(50, 10, n)
    numbers[rng.random(n) < 0.05] = np.nan
    numbers[rng.random(n) < 0.01] = np.inf
    return {
        "num": numbers,
        "count": rng.integers(0, 500, n),
        "flag": rng.integers(0, 2, n),  # a number to its family, categorical to the drift engine
        "whole": _with_gaps(rng, rng.integers(0, 3, n).astype(float), 0.1),  # 0.0/1.0/2.0 with NaN
        "city": _with_gaps(rng, rng.choice(["paris", "lyon", "nice"], n).astype(object), 0.1),
        "vip": rng.random(n) < 0.3,
        "mixed": np.array([i if i % 3 else f"s{i}" for i in rng.integers(0, 8, n)], dtype=object),
        "numstr": rng.choice(["1.5", "2", "-3", "x"], n).astype(object),
        "when": pd.date_range("2026-01-01", periods=n, freq="h"),
        "empty": np.full(n, np.nan),
        "nothing": np.full(n, None, dtype=object),
        "id": np.array([f"id-{i}" for i in range(n)], dtype=object),
        "cat": pd.Categorical(rng.choice(["s", "m", "l"], n)),
        "signed_zero": rng.choice([0.0, -0.0, 1.5], n),
        "inf_only": np.full(n, np.inf),
    }


def current_column(rng: np.random.Generator, name: str, ref: pd.Series, n: int) -> Any:
    """The reference's values resampled, then changed one way or another (or not at all)."""
    base = ref.sample(n, replace=True, random_state=int(rng.integers(1 << 31))).reset_index(drop=True)
    change = rng.choice(["same", "shifted", "gaps", "new_values", "as_text", "as_numbers", "as_bool"])
    if change == "shifted" and pd.api.types.is_numeric_dtype(base.dtype) and base.dtype != bool:
        return base.astype(float) * rng.choice([0.5, 2.0]) + rng.normal(0, 30)
    if change == "gaps":
        return _with_gaps(rng, base.to_numpy(), 0.5)
    if change == "new_values":
        extra = rng.choice(np.array(["lille", "brest", 7, 1e9, True], dtype=object), n)
        mask = rng.random(n) < 0.2
        values = base.to_numpy(dtype=object, copy=True)
        values[mask] = extra[mask]
        return values
    if change == "as_text":
        return base.astype(str).to_numpy(dtype=object)
    if change == "as_numbers":
        return rng.normal(0, 100, n)
    if change == "as_bool":
        return rng.random(n) < 0.5
    return base


def generated_case(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_ref = int(rng.choice([1, 5, 60, 300]))
    reference = pd.DataFrame(reference_columns(rng, n_ref))
    n_cur = int(rng.choice([0, 1, 7, 80]))
    kept = [c for c in reference.columns if rng.random() > 0.15]  # the others are missing now
    current = pd.DataFrame({c: current_column(rng, c, reference[c], n_cur) for c in kept})
    if rng.random() < 0.5:
        current["colour"] = rng.choice(["red", "blue"], n_cur)  # a column the reference never had
    current["ts"] = pd.Timestamp("2026-02-01", tz="UTC")
    columns = [c for c in reference.columns if rng.random() > 0.2]
    if rng.random() < 0.5:
        columns.append("schema_only")  # expected by the schema, in neither dataset
    if rng.random() < 0.5:
        columns.append("colour")
    overrides = {
        str(c): ColumnOptions(kind=ColumnKind(str(rng.choice(KINDS))))
        for c in rng.choice(list(reference.columns), 2, replace=False)
    }
    return {
        "reference": reference,
        "current": current,
        "columns": columns,
        "ignore": ["ts"],
        "recent_row_counts": [int(v) for v in rng.integers(0, 100, int(rng.integers(0, 5)))],
        "options": QualityOptions(missing_share_increase=float(rng.choice([0.0, 0.1]))),
        "overrides": overrides if rng.random() < 0.5 else {},
        "kinds": {c: str(rng.choice(KINDS)) for c in columns},
    }


def as_plain(report: Any) -> str:
    """Both reports as text, so values must agree in type and sign too (0 vs 0.0, -0.0 vs 0.0)."""
    return repr((report.row_count, [asdict(check) for check in report.checks]))


def stored_profile(reference: pd.DataFrame, options: DriftOptions) -> ReferenceProfile:
    return ReferenceProfile.from_bytes(build_profile(reference, options).to_bytes())


@pytest.mark.parametrize("seed", SEEDS)
def test_checks_on_the_stored_profile_equal_the_checks_on_the_reference(seed: int) -> None:
    case = generated_case(seed)
    reference, current, columns = case["reference"], case["current"], case["columns"]
    everywhere = [c for c in columns if c in reference.columns or c in current.columns]
    drift_options = DriftOptions(include=tuple(everywhere), columns=case["overrides"])
    profile = stored_profile(reference, drift_options)
    drift = compare_datasets(profile, current, drift_options)
    # As a run does it: the kinds the drift engine decided; then without kinds (the family decides).
    for kinds in ({c.column: str(c.kind) for c in drift.columns}, None):
        common = {
            "columns": columns,
            "recent_row_counts": case["recent_row_counts"],
            "ignore": case["ignore"],
            "kinds": kinds,
        }
        new = assess_window(current, profile.quality, options=case["options"], **common)
        old = legacy_checks.assess_window(
            current,
            reference,
            options=legacy_checks.QualityOptions(**asdict(case["options"])),
            **common,
        )
        assert as_plain(new) == as_plain(old)


@pytest.mark.parametrize("seed", SEEDS[:20])
def test_a_summary_of_every_fact_serves_any_kind(seed: int) -> None:
    case = generated_case(seed)
    reference, current = case["reference"], case["current"]
    summary = QualityReference.from_dict(describe_reference(reference).to_dict())
    new = assess_window(current, summary, columns=case["columns"], kinds=case["kinds"], ignore=["ts"])
    old = legacy_checks.assess_window(
        current, reference, columns=case["columns"], kinds=case["kinds"], ignore=["ts"]
    )
    assert as_plain(new) == as_plain(old)


def test_the_generated_cases_cover_every_check() -> None:
    """So the comparisons above are not of reports that say nothing."""
    seen: set[tuple[str, bool]] = set()
    for seed in SEEDS:
        case = generated_case(seed)
        report: QualityReport = legacy_checks.assess_window(  # type: ignore[assignment]
            case["current"], case["reference"], columns=case["columns"], ignore=["ts"], kinds=case["kinds"]
        )
        seen |= {(c.check, c.finding) for c in report.checks}
    checks = {"row_count", "missing_share", "out_of_range", "new_categories"}
    assert {(c, f) for c in checks for f in (True, False)} <= seen
    assert {("missing_column", True), ("new_column", True), ("type_change", True)} <= seen


def test_what_the_summary_keeps_and_why() -> None:
    reference = pd.DataFrame(
        {
            "age": [20.0, np.nan, 65.0, np.inf],
            "city": ["paris", None, "lyon", "paris"],
            "flag": [0, 1, 1, 0],
            "id": ["a", "b", "c", "d"],
        }
    )
    summary = describe_reference(
        reference, ["age", "city", "flag", "missing"], kinds={"age": "numerical", "flag": "categorical"}
    )
    assert summary.column_names == ("age", "city", "flag", "id")
    assert list(summary.columns) == ["age", "city", "flag"]  # "missing" is not in the reference
    # The range ignores NaN and inf; a numerical column keeps no category set (it would be every value).
    assert summary.columns["age"] == ReferenceColumn("number", 0.5, True, (20.0, 65.0), None)
    # No kind known: the current will decide, so both the range (none: no numbers) and the categories.
    assert summary.columns["city"] == ReferenceColumn("text", 0.25, True, None, frozenset({"paris", "lyon"}))
    # A number to its family (range, when no kind is given) and categorical to the drift engine.
    assert summary.columns["flag"] == ReferenceColumn("number", 0.0, True, (0.0, 1.0), frozenset({"0", "1"}))


def test_a_check_the_summary_was_not_made_for_is_an_error_not_a_guess() -> None:
    reference = pd.DataFrame({"age": [20.0, 65.0]})
    summary = describe_reference(reference, kinds={"age": "numerical"})
    current = pd.DataFrame({"age": [30.0, 40.0]})
    with pytest.raises(ValueError, match="no categories"):
        assess_window(current, summary, columns=["age"], kinds={"age": "categorical"})
    unsummarised = describe_reference(reference, columns=[])
    with pytest.raises(ValueError, match="no facts about column 'age'"):
        assess_window(current, unsummarised, columns=["age"])
