"""Opening a config's sources before any run does: `monitor config validate [--check-sources]`.

Without reading anything, `missing_files` finds `files` paths that match no file. `check_sources`
opens every monitor's prediction source, reference and label source and reads at most SAMPLE_ROWS
rows of each (the first found, through the same code and checks as a run: a source's `sample`), then
checks that every column the config names is there and that times, scores, regression labels and
declared `schema.types` fit the data. Every monitor is checked, whatever an earlier one found; each
problem comes with the path in the file to fix.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.config import (
    Config,
    FilesSourceConfig,
    MonitorConfig,
    PeriodReferenceConfig,
    estimation_columns,
    feature_columns,
    role_columns,
)
from monitor.errors import mask_url_secrets
from monitor.services.source_samples import Sample, SampledSources, Stream, sample_sources
from monitor.services.source_values import declared_type_problem, listed, number_problem, time_problem

# Rows read from each source: enough to judge types, few enough for any size of source.
SAMPLE_ROWS = 1000
# A read over all time, so the sample goes through the time filter a run's window does.
ALL_TIME = (datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))

_NAMES: dict[Stream, str] = {
    "predictions": "the prediction source",
    "reference": "the reference",
    "labels": "the label source",
}


@dataclass(frozen=True)
class Finding:
    path: str  # in the config file, e.g. monitors.churn.labels.label_column
    message: str


@dataclass(frozen=True)
class MonitorCheck:
    monitor: str
    findings: tuple[Finding, ...]
    rows: dict[Stream, int]  # rows read from each source that could be read

    @property
    def ok(self) -> bool:
        return not self.findings


def missing_files(config: Config) -> list[Finding]:
    """Every `files` path of every monitor that matches no file (nothing is opened)."""
    found = []
    for name, monitor in config.monitors.items():
        for where, source in _files_sources(monitor):
            pattern = config.resolve_path(source.path)
            if not glob.glob(str(pattern), recursive=True):
                found.append(Finding(f"monitors.{name}.{where}.path", f"no file matches {pattern}"))
    return found


def _files_sources(monitor: MonitorConfig) -> Iterator[tuple[str, FilesSourceConfig]]:
    reference = monitor.reference
    candidates = [
        ("source", monitor.source),
        ("reference", reference),
        ("reference.source", reference.source if isinstance(reference, PeriodReferenceConfig) else None),
        ("labels.source", monitor.labels.source if monitor.labels else None),
    ]
    for where, source in candidates:
        if isinstance(source, FilesSourceConfig):
            yield where, source


def check_sources(config: Config, *, sample_rows: int = SAMPLE_ROWS) -> list[MonitorCheck]:
    """Every monitor's sources opened and checked against its config; one result per monitor."""
    absent = missing_files(config)
    with sample_sources(config, sample_rows=sample_rows, all_time=ALL_TIME) as read:
        return [
            _check_monitor(name, monitor, read(name), [f for f in absent if _of(f, name)])
            for name, monitor in config.monitors.items()
        ]


def _of(finding: Finding, monitor: str) -> bool:
    return finding.path.startswith(f"monitors.{monitor}.")


def _check_monitor(
    name: str, monitor: MonitorConfig, sampled: SampledSources, absent: list[Finding]
) -> MonitorCheck:
    prefix = f"monitors.{name}."
    # Paths relative to the monitor until the end. A missing file is said at its `path`, not as the
    # source's read error (the same words).
    findings = [Finding(f.path.removeprefix(prefix), f.message) for f in absent]
    for sample in sampled.values():
        if sample.error is not None and not any(f.path.startswith(f"{sample.path}.") for f in findings):
            findings.append(Finding(sample.path, sample.error))
    reference = sampled["reference"]
    if reference.frame is not None and reference.frame.empty:
        findings.append(Finding("reference", "holds no rows; drift has nothing to compare with"))
    findings += _role_findings(monitor, sampled)
    findings += _estimation_findings(monitor, sampled)
    findings += _feature_findings(monitor, sampled)
    findings += _declared_type_findings(monitor, sampled)
    rows = {stream: len(s.frame) for stream, s in sampled.items() if s.frame is not None}
    # Messages quote drivers and URLs: passwords never reach the terminal or a CI log.
    masked = tuple(Finding(prefix + f.path, mask_url_secrets(f.message)) for f in findings)
    return MonitorCheck(name, masked, rows)


def _role_findings(monitor: MonitorConfig, sampled: SampledSources) -> list[Finding]:
    found = []
    for role in role_columns(monitor):
        sample = sampled.get(role.stream)
        if sample is None or sample.frame is None:
            continue
        frame = sample.frame
        if role.column not in frame.columns:
            if role.required:
                found.append(Finding(role.path, _not_in(role.column, role.stream, sample)))
            continue
        problem = None
        if role.role == "time" and sample.time_error:
            found.append(Finding(role.path, sample.time_error))
            continue
        if role.role == "time":
            problem = time_problem(frame[role.column])
        elif role.role == "score" or (role.role == "label" and monitor.task == "regression"):
            problem = number_problem(frame[role.column])
        if problem:
            found.append(Finding(role.path, f"column {role.column!r} of {_NAMES[role.stream]} {problem}"))
    return found


def _estimation_findings(monitor: MonitorConfig, sampled: SampledSources) -> list[Finding]:
    """The reference must hold what `estimation:` learns from: without its labels or the model's
    outputs no window gets an estimate (each says `estimator_unavailable`)."""
    reference = sampled["reference"]
    if reference.frame is None or reference.frame.empty:
        return []
    found = []
    for role in estimation_columns(monitor):
        if role.column not in reference.frame.columns:
            what = "labels" if role.role == "label" else f"model's {role.role}s"
            found.append(
                Finding(
                    role.path,
                    f"{_not_in(role.column, 'reference', reference)}; `estimation:` learns from the "
                    f"{what} in the reference, so no window would be estimated",
                )
            )
        elif role.role == "score":
            problem = number_problem(reference.frame[role.column])
            if problem:
                found.append(Finding(role.path, f"column {role.column!r} of the reference {problem}"))
    return found


def _feature_findings(monitor: MonitorConfig, sampled: SampledSources) -> list[Finding]:
    predictions, reference = sampled["predictions"], sampled["reference"]
    listed_features = monitor.schema_.features
    if listed_features is not None:
        found = []
        for i, feature in enumerate(listed_features):
            for sample in (predictions, reference):
                if sample.frame is not None and feature not in sample.frame.columns:
                    found.append(Finding(f"schema.features[{i}]", _not_in(feature, sample.stream, sample)))
        return found
    if reference.frame is None or predictions.frame is None:
        return []
    absent = [c for c in feature_columns(monitor, reference.frame.columns) if c not in predictions.frame]
    if not absent:
        return []
    names = ", ".join(repr(c) for c in absent)
    return [
        Finding(
            "schema.features",
            f"not set, so every column of the reference the config gives no role is a feature; {names} "
            f"{'is' if len(absent) == 1 else 'are'} not in the prediction source "
            f"(it has: {listed(predictions.frame.columns)}), so every window would report "
            f"{'it' if len(absent) == 1 else 'them'} missing: list the features",
        )
    ]


def _declared_type_findings(monitor: MonitorConfig, sampled: SampledSources) -> list[Finding]:
    found = []
    for column, declared in monitor.schema_.types.items():
        for sample in sampled.values():
            if sample.frame is None or column not in sample.frame.columns:
                continue
            problem = declared_type_problem(sample.frame[column], declared)
            if problem:  # said once, for the first source holding it (the log before the reference)
                found.append(
                    Finding(
                        f"schema.types.{column}",
                        f"declared {declared}, but column {column!r} of {_NAMES[sample.stream]} {problem}",
                    )
                )
                break
    return found


def _not_in(column: str, stream: Stream, sample: Sample) -> str:
    assert sample.frame is not None
    return f"column {column!r} is not in {_NAMES[stream]} (it has: {listed(sample.frame.columns)})"
