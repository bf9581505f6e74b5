"""The local backend: a window in pieces (pandas, a dask DataFrame, delayed pieces), summarised in this
process with the exact summaries, judged exactly as compare_datasets judges the whole window."""

from __future__ import annotations

import dask.dataframe as dd
import pytest
from dask.delayed import delayed

from monitor.compute import LocalBackend, compare_window
from monitor.drift import build_profile, compare_datasets

from .conftest import OPTIONS, Window


def test_pieces_in_any_form_give_the_whole_windows_result(window: Window) -> None:
    rows = window.rows()
    profile = build_profile(window.reference, OPTIONS)
    expected = compare_datasets(window.reference, rows, OPTIONS)
    frames = [rows.iloc[:30_000], rows.iloc[30_000:]]
    as_dask = dd.from_pandas(rows, npartitions=5)
    as_delayed = [delayed(frame.copy)() for frame in frames]
    with LocalBackend() as backend:
        assert backend.describe() == {"backend": "local"}
        for pieces in (rows, frames, as_dask, as_delayed):
            assert compare_window(backend, pieces, profile, OPTIONS) == expected


def test_no_pieces_at_all_is_a_mistake(window: Window) -> None:
    with pytest.raises(ValueError, match="at least one piece"):
        LocalBackend().summarise_window([], build_profile(window.reference, OPTIONS), OPTIONS)
