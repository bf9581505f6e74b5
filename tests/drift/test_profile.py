"""Reference profiles: computed once, stored as bytes (no pickle), reused with identical results."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from monitor.drift import (
    CONTRACT_TESTS,
    ColumnKind,
    ColumnOptions,
    DriftOptions,
    ReferenceProfile,
    build_profile,
    compare_datasets,
)
from monitor.drift.profile import PROFILE_FORMAT
from monitor.drift.summary import NumericSummary

RNG = np.random.default_rng(41)
N = 2000
REF = pd.DataFrame(
    {
        "x": RNG.normal(0, 1, N),
        "c": RNG.choice(["a", "b", "c"], N),
        "flag": RNG.integers(0, 2, N),
        "id": [f"id-{i}" for i in range(N)],
        "empty": [np.nan] * N,
    }
)
CUR = pd.DataFrame(
    {
        "x": RNG.normal(0.2, 1, N),
        "c": RNG.choice(["a", "b", "d"], N),
        "flag": RNG.integers(0, 2, N),
        "id": [f"id-{i}" for i in range(N)],
        "empty": RNG.normal(0, 1, N),
        "new": RNG.normal(0, 1, N),
    }
)
OPTIONS = DriftOptions(
    tests=(*CONTRACT_TESTS, "wasserstein", "jensenshannon", "hellinger"),
    thresholds={"psi": "learned"},
    columns={"flag": ColumnOptions(kind=ColumnKind.CATEGORICAL)},
)


def test_what_a_profile_holds() -> None:
    profile = build_profile(REF, OPTIONS)
    assert profile.rows == N and list(profile.columns) == ["x", "c", "flag", "id", "empty"]
    x = profile.columns["x"].summary
    assert isinstance(x, NumericSummary)
    assert np.array_equal(x.values, np.sort(REF["x"].to_numpy()))
    assert x.std == pytest.approx(np.std(REF["x"]), rel=1e-12)
    assert np.array_equal(x.quantile_edges, np.unique(np.quantile(REF["x"], np.arange(1, 10) / 10)))
    assert profile.columns["c"].summary.as_dict() == REF["c"].value_counts().to_dict()  # type: ignore[union-attr]
    assert profile.columns["flag"].kind_reason == "set in options"
    assert profile.columns["id"].kind is ColumnKind.SKIPPED
    assert not profile.columns["empty"].kind_settled  # no values: the current will decide
    assert profile.columns["x"].learned["psi"].value is not None


def test_bytes_round_trip_and_identical_results() -> None:
    profile = build_profile(REF, OPTIONS)
    loaded = ReferenceProfile.from_bytes(profile.to_bytes())
    assert loaded == profile
    assert compare_datasets(loaded, CUR, OPTIONS) == compare_datasets(REF, CUR, OPTIONS)


def test_a_damaged_or_foreign_payload_is_refused() -> None:
    with pytest.raises((ValueError, OSError)):
        ReferenceProfile.from_bytes(b"not a profile")


def test_profiles_only_what_is_asked_for() -> None:
    profile = build_profile(REF, DriftOptions(include=("c", "x", "nope")))
    assert list(profile.columns) == ["c", "x"]


def as_format_1(payload: bytes) -> bytes:
    """A profile as format 1 stored it: the same arrays, a header without the quality facts."""
    with np.load(io.BytesIO(payload), allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    header = json.loads(arrays["header"].tobytes().decode())
    header["format"] = 1
    del header["quality"]
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_a_profile_of_an_older_format_is_refused_not_misread() -> None:
    old = as_format_1(build_profile(REF, OPTIONS).to_bytes())
    with pytest.raises(ValueError, match=f"format 1, expected {PROFILE_FORMAT}"):
        ReferenceProfile.from_bytes(old)


def test_the_profile_holds_what_the_quality_checks_need() -> None:
    quality = ReferenceProfile.from_bytes(
        build_profile(REF, DriftOptions(include=("x", "c"))).to_bytes()
    ).quality
    assert quality.column_names == ("x", "c", "flag", "id", "empty")  # every column, profiled or not
    assert list(quality.columns) == ["x", "c"]
    x, c = quality.columns["x"], quality.columns["c"]
    assert (x.family, x.missing_share, x.value_range) == ("number", 0.0, (REF["x"].min(), REF["x"].max()))
    assert x.categories is None  # numerical: no category check, so no set of every value
    assert (c.family, c.categories) == ("text", frozenset({"a", "b", "c"}))
