"""A window of Parquet files and its reference, shared by the compute tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.drift import ColumnKind, ColumnOptions, DriftOptions

START = datetime(2026, 3, 1, tzinfo=UTC)
FEATURES = ["tied", "score", "amount", "few", "city"]
ALL_TESTS = ("ks", "chi2", "psi", "wasserstein", "jensenshannon", "hellinger")
OPTIONS = DriftOptions(tests=ALL_TESTS, columns={"few": ColumnOptions(kind=ColumnKind.NUMERICAL)})
REFERENCE_ROWS = 70_000  # more distinct `amount` values than an exact merge takes (65,536): a sketch
FILES, ROWS_PER_FILE = 6, 15_000


def features(rng: np.random.Generator, rows: int, shift: float) -> pd.DataFrame:
    """Whole numbers with ties and NaN; scores rounded in the reference (ties, under the exact limit)
    and not in the window; continuous amounts; four values; cities with None and a new one later."""
    tied = rng.integers(0, 60, rows).astype(float) + (rng.random(rows) < shift / 2)
    tied[rng.random(rows) < 0.05] = np.nan
    score = rng.normal(shift, 1, rows)
    cities = ["Lyon", "Oslo", "Pune", "Quito"] + (["Riga"] if shift else [])
    city = pd.Series(rng.choice(cities, rows), dtype=object).where(rng.random(rows) > 0.03, None)
    return pd.DataFrame(
        {
            "tied": tied,
            "score": score if shift else np.round(score, 3),
            "amount": rng.lognormal(shift, 1, rows),
            "few": rng.integers(0, 4, rows).astype(float),
            "city": city,
        }
    )


@dataclass(frozen=True)
class Window:
    reference: pd.DataFrame
    pattern: str  # the glob of the current window's Parquet files
    start: datetime  # the window: rows of the files with start <= ts < end
    end: datetime

    def rows(self) -> pd.DataFrame:
        """The window's rows, read and filtered with pandas (not with the code under test)."""
        frame = pd.concat(pd.read_parquet(p) for p in sorted(Path(self.pattern).parent.glob("*.parquet")))
        inside = (frame["ts"] >= self.start) & (frame["ts"] < self.end)
        return frame.loc[inside, FEATURES].reset_index(drop=True)


@pytest.fixture(scope="session")
def window(tmp_path_factory: pytest.TempPathFactory) -> Window:
    rng = np.random.default_rng(16)
    folder = tmp_path_factory.mktemp("window")
    for i in range(FILES):
        frame = features(rng, ROWS_PER_FILE, shift=0.1)
        times = START + pd.to_timedelta(np.arange(ROWS_PER_FILE) + i * ROWS_PER_FILE, unit="s")
        frame.insert(0, "ts", times)
        frame.to_parquet(folder / f"part-{i}.parquet", row_group_size=5_000)
    # The window leaves out the first 7,000 and the last 11,000 rows of the files.
    start, end = START + timedelta(seconds=7_000), START + timedelta(seconds=FILES * ROWS_PER_FILE - 11_000)
    return Window(features(rng, REFERENCE_ROWS, shift=0.0), str(folder / "*.parquet"), start, end)
