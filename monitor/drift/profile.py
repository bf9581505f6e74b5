"""Reference profiles: everything the tests need from the reference, computed once and stored.

Per column: its kind (and why), its summary (sorted values or category counts, from which the tests
derive quantile edges, distinct values and the standard deviation, cached on first use) and its
learned thresholds. Beside these, what the data-quality checks need of the reference (every column
name; per profiled column its value family, missing share, range and category set: see
monitor/quality/reference.py). A scheduled run loads the profile and reads only the current window.

`to_bytes`/`from_bytes` serialise a profile without pickle (a JSON header and plain numpy arrays in
an .npz), so loading a stored profile can never run code. Values stay float64: exact, not rounded.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift.dataset import DatasetReference, build_dataset_reference
from monitor.drift.kinds import infer_kind, is_plain_strings, strings_kind
from monitor.drift.learned import LearnedThreshold, learn_threshold
from monitor.drift.options import DriftOptions
from monitor.drift.parallel import map_columns
from monitor.drift.registry import get_test
from monitor.drift.summary import CategorySummary, CountSummary, NumericSummary, Summary, summarise
from monitor.drift.types import ColumnKind
from monitor.quality.reference import QualityReference, ReferenceColumn, describe_column

# Bumped whenever what a profile holds changes: a stored profile of another format is built again.
# 2: the data-quality facts (`quality`). 3: dataset-level drift (`dataset`). 4: the quality facts'
# known categories labelled by value (monitor.quality.labels: 1 and 1.0 are both "1").
PROFILE_FORMAT = 4


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    kind: ColumnKind
    kind_reason: str
    summary: Summary
    # False when the reference has no values and no kind was set: then the current side decides.
    kind_settled: bool = True
    learned: Mapping[str, LearnedThreshold] = field(default_factory=dict)


@dataclass(frozen=True)
class ReferenceProfile:
    rows: int
    columns: Mapping[str, ColumnProfile]  # in the reference's column order
    quality: QualityReference  # what the data-quality checks need of the reference
    # What multivariate and importance-weighted drift need of it (dataset.py), when asked for.
    dataset: DatasetReference = field(default_factory=DatasetReference)

    def to_bytes(self) -> bytes:
        arrays: dict[str, Any] = {}
        columns = []
        for i, col in enumerate(self.columns.values()):
            columns.append(
                {
                    "name": col.name,
                    "kind": str(col.kind),
                    "kind_reason": col.kind_reason,
                    "kind_settled": col.kind_settled,
                    "summary": _summary_header(col.summary, i, arrays),
                    "learned": {name: t.to_dict() for name, t in col.learned.items()},
                }
            )
        header = {
            "format": PROFILE_FORMAT,
            "rows": self.rows,
            "columns": columns,
            "quality": self.quality.to_dict(),
            "dataset": self.dataset.header(arrays),
        }
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceProfile:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            header = json.loads(arrays["header"].tobytes().decode())
            if header.get("format") != PROFILE_FORMAT:
                raise ValueError(
                    f"reference profile format {header.get('format')}, expected {PROFILE_FORMAT}"
                )
            columns = {}
            for i, col in enumerate(header["columns"]):
                columns[col["name"]] = ColumnProfile(
                    name=col["name"],
                    kind=ColumnKind(col["kind"]),
                    kind_reason=col["kind_reason"],
                    summary=_summary_from(col["summary"], i, arrays),
                    kind_settled=col["kind_settled"],
                    learned={n: LearnedThreshold.from_dict(t) for n, t in col["learned"].items()},
                )
            dataset = DatasetReference.from_header(header.get("dataset"), arrays)
        return cls(
            rows=header["rows"],
            columns=columns,
            quality=QualityReference.from_dict(header["quality"]),
            dataset=dataset,
        )


def _summary_header(summary: Summary, i: int, arrays: dict[str, Any]) -> dict[str, Any]:
    head: dict[str, Any] = {"rows": summary.rows, "missing": summary.missing}
    if isinstance(summary, NumericSummary):
        arrays[f"values_{i}"] = summary.values
        return {**head, "type": "numeric", "non_numeric": summary.non_numeric}
    if isinstance(summary, CategorySummary):
        arrays[f"counts_{i}"] = summary.counts
        return {**head, "type": "categories", "labels": list(summary.labels)}
    return {
        **head,
        "type": "count",
        "kind": str(summary.kind),
        "count": summary.count,
        "some_values": list(summary.some_values),
    }


def _summary_from(head: dict[str, Any], i: int, arrays: Any) -> Summary:
    if head["type"] == "numeric":
        return NumericSummary(arrays[f"values_{i}"], head["rows"], head["missing"], head["non_numeric"])
    if head["type"] == "categories":
        return CategorySummary(tuple(head["labels"]), arrays[f"counts_{i}"], head["rows"], head["missing"])
    kind = ColumnKind(head["kind"])
    return CountSummary(kind, head["rows"], head["missing"], head["count"], tuple(head["some_values"]))


def columns_by_name(frame: pd.DataFrame, side: str) -> dict[str, Hashable]:
    """Column names as strings (what results report), refusing duplicates that would be ambiguous."""
    names = [str(c) for c in frame.columns]
    duplicated = sorted(n for n, times in Counter(names).items() if times > 1)
    if duplicated:
        raise ValueError(f"{side} has duplicated column names: {', '.join(duplicated)}")
    return dict(zip(names, frame.columns, strict=True))


def set_kind(name: str, options: DriftOptions) -> ColumnKind | None:
    column = options.columns.get(name)
    return None if column is None or column.kind is None else ColumnKind(column.kind)


def _kind_and_summary(name: str, series: pd.Series, options: DriftOptions) -> tuple[ColumnKind, str, Summary]:
    kind = set_kind(name, options)
    if kind is not None:
        return kind, "set in options", summarise(series, kind)
    if is_plain_strings(series):  # count the categories once and judge the kind from those counts
        categories = summarise(series, ColumnKind.CATEGORICAL)
        assert isinstance(categories, CategorySummary)
        kind, reason = strings_kind(len(categories.labels), categories.count)
        if kind is ColumnKind.CATEGORICAL:
            return kind, reason, categories
        return kind, reason, summarise(series, kind)
    kind, reason = infer_kind(series)
    return kind, reason, summarise(series, kind)


def profile_column(name: str, series: pd.Series, options: DriftOptions) -> ColumnProfile:
    kind, reason, summary = _kind_and_summary(name, series, options)
    settled = True
    if reason != "set in options":
        settled = summary.count > 0  # a reference without values leaves the kind to the current
    learned = {}
    if kind is not ColumnKind.SKIPPED:
        for test_name in options.learned_tests(name):
            test = get_test(test_name)
            if test.accepts(kind):
                learned[test_name] = learn_threshold(test, series, kind, summary, options.learned)
    return ColumnProfile(name, kind, reason, summary, settled, learned)


def _quality_facts(column: ColumnProfile, series: pd.Series) -> ReferenceColumn:
    # The drift engine gives the checks this column's kind, unless the current is to decide it.
    return describe_column(series, kind=str(column.kind) if column.kind_settled else None)


def build_profile(
    reference: pd.DataFrame,
    options: DriftOptions | None = None,
    *,
    include: Sequence[str] | None = None,
    dataset_columns: Sequence[str] | None = None,
) -> ReferenceProfile:
    """The profile of every reference column (or of those in `include`/`options.include` it has);
    dataset-level drift on `dataset_columns` of them (default: all)."""
    options = options if options is not None else DriftOptions()
    by_name = columns_by_name(reference, "reference")
    wanted = include if include is not None else options.include
    names = list(by_name) if wanted is None else [n for n in dict.fromkeys(wanted) if n in by_name]

    def work(name: str) -> tuple[ColumnProfile, ReferenceColumn]:
        series = reference[by_name[name]]
        column = profile_column(name, series, options)
        return column, _quality_facts(column, series)

    done = map_columns(work, names, parallel=options.parallel, cells=len(reference) * len(names))
    columns = {name: column for name, (column, _) in zip(names, done, strict=True)}
    return ReferenceProfile(
        rows=len(reference),
        columns=columns,
        quality=QualityReference(
            tuple(by_name), {name: facts for name, (_, facts) in zip(names, done, strict=True)}
        ),
        dataset=dataset_reference(
            reference,
            columns if dataset_columns is None else {c: columns[c] for c in dataset_columns if c in columns},
            options,
        ),
    )


def dataset_reference(
    reference: pd.DataFrame, columns: Mapping[str, ColumnProfile], options: DriftOptions
) -> DatasetReference:
    """What dataset-level drift keeps of the reference, if the options ask for any."""
    if not options.multivariate.enabled and not options.importance.enabled:
        return DatasetReference()
    kinds = {name: c.kind for name, c in columns.items() if c.kind_settled and c.summary.count > 0}
    return build_dataset_reference(reference.rename(columns=str), kinds, options)
