"""`monitor drift`: a terminal table, a self-contained HTML page (checked in Chromium), JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitor.services.adhoc import AdhocInputError, compare_files

N = 3000


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    rng = np.random.default_rng(2)
    root = tmp_path_factory.mktemp("adhoc")
    ref = pd.DataFrame(
        {
            "age": rng.normal(40, 10, N),
            "city": rng.choice(["paris", "lyon", "lille"], N),
            "user": [f"u{i}" for i in range(N)],
            "empty": [np.nan] * N,
        }
    )
    cur = pd.DataFrame(
        {
            "age": np.append(rng.normal(46, 10, N - 50), [np.nan] * 50),
            "city": rng.choice(["paris", "lyon", "nice"], N),
            "user": [f"u{i}" for i in range(N)],
            "empty": rng.normal(0, 1, N),
        }
    )
    ref.to_csv(root / "ref.csv", index=False)
    cur.to_parquet(root / "cur.parquet")
    return root / "ref.csv", root / "cur.parquet"


def test_the_table_reads_in_a_terminal(files: tuple[Path, Path]) -> None:
    text = compare_files(*files, fmt="table")
    lines = text.splitlines()
    header = lines[0].split()
    assert header == [
        "column",
        "kind",
        "test",
        "statistic",
        "p-value",
        "p-adj",
        "effect",
        "threshold",
        "drift",
        "status",
    ]
    assert max(len(line) for line in lines) < 160
    age = next(line for line in lines if line.startswith("age "))
    assert "wasserstein" in age and "DRIFT" in age and ">= 0.1" in age
    assert any(
        "empty" in line and "all_missing: all 3000 reference values are missing" in line for line in lines
    )
    assert "  age: 50 missing in current (1.7%)" in lines
    assert "  city: new categories: nice" in lines
    assert "  user: skipped (ID-like string: 3000 distinct in 3000 values)" in lines
    assert lines[-1] == "drift share: 1.00  dataset: DRIFTED"


def test_json_follows_the_contract_and_adds_effect_size_and_reasons(files: tuple[Path, Path]) -> None:
    out = json.loads(compare_files(*files, fmt="json", tests=["ks", "chi2", "psi"]))
    assert {"reference_rows", "current_rows", "results", "drift_share", "dataset_drifted"} <= set(out)
    by = {(r["column"], r["test"]): r for r in out["results"]}
    ref, cur = pd.read_csv(files[0]), pd.read_parquet(files[1])
    ks = stats.ks_2samp(ref["age"], cur["age"].dropna())
    assert by["age", "ks"]["p_value"] == pytest.approx(ks.pvalue, abs=1e-9)
    assert by["age", "ks"]["effect_size"] == pytest.approx(ks.statistic, abs=1e-12)
    assert by["empty", "ks"]["status"] == "all_missing" and by["empty", "ks"]["statistic"] is None
    assert by["empty", "ks"]["reason"] == "all 3000 reference values are missing"
    assert by["age", "ks"]["reason"] is None
    assert set(by) == {
        ("age", "ks"),
        ("age", "psi"),
        ("city", "chi2"),
        ("city", "psi"),
        ("empty", "ks"),
        ("empty", "psi"),
    }


def test_unknown_columns_and_tests_are_errors(files: tuple[Path, Path]) -> None:
    with pytest.raises(AdhocInputError, match="nope"):
        compare_files(*files, columns=["age", "nope"])
    with pytest.raises(AdhocInputError, match="unknown drift test"):
        compare_files(*files, tests=["kss"])


@pytest.mark.browser
def test_the_html_report_is_self_contained_and_shows_every_column(
    files: tuple[Path, Path], tmp_path: Path, browser: Any
) -> None:
    path = tmp_path / "report.html"
    path.write_text(compare_files(*files, fmt="html"), encoding="utf-8")
    html = path.read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    assert requests == [path.as_uri()]  # nothing fetched but the file itself
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 3  # one auto-chosen test each for age, city, empty; user is skipped
    assert page.locator("tr[data-column='age'][data-test='wasserstein'].drifted").count() == 1
    assert "all_missing" in page.locator("tr[data-column='empty']").inner_text()
    sections = page.locator("section.column h2")
    assert [t.split()[0] for t in sections.all_inner_texts()] == ["age", "city", "user", "empty"]
    city_bars = page.locator("section.column").nth(1).locator("svg.bins rect")
    assert city_bars.count() == 2 * 4  # lille, lyon, nice, paris: reference and current bars
    assert page.locator("section.column").nth(0).locator("svg.bins rect").count() == 2 * 10  # deciles
    page.close()
