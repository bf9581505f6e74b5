"""Strings arriving as pandas categoricals (Parquet's dictionary-encoded strings, as `monitor drift`
reads them) are judged exactly as the same strings arriving as object or `str` columns: the engine
counts their codes, and nothing in the results may tell the two apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from monitor.drift import (
    ColumnKind,
    ColumnOptions,
    DriftOptions,
    build_profile,
    compare_datasets,
    compare_summaries,
    summarise_current,
)
from monitor.drift.kinds import infer_kind, is_plain_strings, string_categories
from monitor.drift.summary import CategorySummary, summarise
from monitor.services.adhoc import read_parquet

N = 4000
LEVELS = np.array([f"level_{i:02d}" for i in range(12)], dtype=object)


def _with_missing(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    out = values.astype(object)
    out[rng.random(len(out)) < share] = None
    return out


def _frame(seed: int, drifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shares = np.full(len(LEVELS), 1 / len(LEVELS))
    if drifted:
        shares[:3] += 0.03
        shares[3:6] -= 0.03
    city = np.array(["paris", "lyon", "nice" if drifted else "lille"], dtype=object)
    return pd.DataFrame(
        {
            "num": rng.normal(1.0 if drifted else 0.0, 1, N),
            "level": _with_missing(rng, LEVELS[rng.choice(len(LEVELS), N, p=shares)], 0.05),
            "city": city[rng.integers(0, 3, N)],  # a category new in current, one gone
            "few": _with_missing(rng, np.array(["a", "b"], dtype=object)[rng.integers(0, 2, N)], 0.5),
            "user": np.array([f"u{seed}_{i}" for i in range(N)], dtype=object),  # ID-like: skipped
            "const": np.array(["same"] * N, dtype=object),
            "nothing": np.array([None] * N, dtype=object),
            "amount": rng.normal(10, 2, N).round(2).astype(str).astype(object),  # numbers as text
            **({"only_current": np.array(["x", "y"] * (N // 2), dtype=object)} if drifted else {}),
        }
    )


@pytest.fixture(scope="module")
def parquet_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("categorical")
    ref_path, cur_path = root / "ref.parquet", root / "cur.parquet"
    _frame(0, drifted=False).to_parquet(ref_path)
    _frame(1, drifted=True).to_parquet(cur_path)
    return ref_path, cur_path


def _as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda c: c.astype(object) if c.dtype != np.float64 else c)


Reader = Callable[[Path], pd.DataFrame]
READERS: dict[str, Reader] = {
    "pandas (str)": pd.read_parquet,
    "object strings": lambda path: _as_objects(pd.read_parquet(path)),
    "arrow dictionary (categorical)": read_parquet,
}

OPTIONS = {
    "auto": DriftOptions(),
    "ks, chi2, psi": DriftOptions(tests=("ks", "chi2", "psi")),
    "every categorical test, amount as numbers, learned psi": DriftOptions(
        tests=("chi2", "chi2_levels", "psi", "jensenshannon", "hellinger", "ks"),
        columns={
            "amount": ColumnOptions(kind=ColumnKind.NUMERICAL),
            "user": ColumnOptions(kind=ColumnKind.CATEGORICAL),
        },
        thresholds={"psi": "learned"},
    ),
}


def _results(reader: Reader, files: tuple[Path, Path], options: DriftOptions) -> list[dict[str, Any]]:
    ref, cur = reader(files[0]), reader(files[1])
    cold = compare_datasets(ref, cur, options).to_dict()
    profile = build_profile(ref, options)
    warm = compare_datasets(profile, cur, options).to_dict()
    halves = summarise_current(cur.iloc[: N // 3], profile, options).merge(
        summarise_current(cur.iloc[N // 3 :], profile, options)
    )
    merged = compare_summaries(profile, halves, options).to_dict()
    return [cold, warm, merged]


def test_the_arrow_reader_gives_categoricals_of_the_strings(parquet_files: tuple[Path, Path]) -> None:
    ref = read_parquet(parquet_files[0])
    plain = pd.read_parquet(parquet_files[0])
    assert list(ref.columns) == list(plain.columns)
    for name in ["level", "city", "few", "user", "const", "amount"]:
        assert string_categories(ref[name]), name
        assert ref[name].astype(object).equals(plain[name].astype(object)), name
    assert ref["num"].dtype == np.float64 and ref["num"].equals(plain["num"])


def test_the_arrow_reader_reads_only_the_columns_asked_for(parquet_files: tuple[Path, Path]) -> None:
    frame = read_parquet(parquet_files[0], ["city", "num", "not_there"])
    # In the order asked for; the other columns are not read, and names the file lacks are for the
    # caller to judge (monitor drift refuses a name neither file has).
    assert list(frame.columns) == ["city", "num"]
    assert len(pq.read_schema(parquet_files[0]).names) > 2


@pytest.mark.parametrize("options_name", list(OPTIONS))
def test_results_are_identical_however_the_strings_arrive(
    parquet_files: tuple[Path, Path], options_name: str
) -> None:
    options = OPTIONS[options_name]
    by_reader = {name: _results(reader, parquet_files, options) for name, reader in READERS.items()}
    expected = by_reader["object strings"]
    kinds = {c["column"]: c["kind"] for c in expected[0]["columns"]}
    assert kinds["user"] == ("categorical" if "learned" in options_name else "skipped")
    assert kinds["level"] == "categorical" and kinds["nothing"] == "categorical"
    assert any(r["status"] == "ok" and r["drifted"] for r in expected[0]["results"])
    for name, results in by_reader.items():
        assert results == expected, name


def test_categorical_codes_count_like_the_strings() -> None:
    values = pd.Series(["b", None, "a", "b", "c", None, "b"], dtype=object)
    # Unused categories, and categories in another order than sorted: neither may show.
    categorical = values.astype(pd.CategoricalDtype(["zz", "c", "b", "a", "unused"]))
    counted = summarise(categorical, ColumnKind.CATEGORICAL)
    assert isinstance(counted, CategorySummary)
    assert counted.labels == ("a", "b", "c") and counted.counts.tolist() == [1, 3, 1]
    assert (counted.rows, counted.missing) == (7, 2)
    assert counted == summarise(values, ColumnKind.CATEGORICAL)
    assert is_plain_strings(categorical) and infer_kind(categorical) == infer_kind(values)


def test_categoricals_of_other_values_keep_their_own_path() -> None:
    numbers = pd.Series(pd.Categorical([1, 2, 2, None]))
    assert not string_categories(numbers) and not is_plain_strings(numbers)
    assert infer_kind(numbers) == (ColumnKind.CATEGORICAL, "pandas categorical")
