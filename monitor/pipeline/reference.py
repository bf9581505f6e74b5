"""Reference profiles in one home: their key, the in-process cache, the stored copy, and building one.

A profile summarises the reference once (sorted values, category counts, learned thresholds, the
quality facts), so a scheduled run reads only its current window. For file references the key comes
from the files' sizes and times, so when a stored profile exists the reference is not read at all;
other sources are read once per process to hash them."""

from __future__ import annotations

import glob
import hashlib
import json
import os
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from monitor.config import (
    DriftConfig,
    MonitorConfig,
    ReferenceConfig,
    feature_columns,
    role_column_names,
    role_columns,
)
from monitor.drift import (
    ColumnKind,
    ColumnOptions,
    DriftOptions,
    ImportanceOptions,
    LearnedOptions,
    MonteCarloOptions,
    MultivariateOptions,
    ReferenceProfile,
    build_profile,
)
from monitor.drift.profile import PROFILE_FORMAT
from monitor.store.monitors import monitor_id
from monitor.store.profiles import load_profile, save_profile

if TYPE_CHECKING:
    from monitor.pipeline.runtime import Runtime


def output_columns(monitor: MonitorConfig) -> list[str]:
    """The model's own output columns: prediction, score, class probabilities."""
    outputs = (r.column for r in role_columns(monitor) if r.role in ("prediction", "score"))
    return list(dict.fromkeys(outputs))


def judged_columns(monitor: MonitorConfig, profile: ReferenceProfile) -> tuple[list[str], list[str]]:
    """The features and the model's outputs a window's drift judges. The outputs' drift needs them in
    the reference (a training set may hold only features and labels); the default features are the
    reference's other columns."""
    outputs = [c for c in output_columns(monitor) if c in profile.columns]
    if monitor.schema_.features is not None:
        return list(monitor.schema_.features), outputs
    return [c for c in profile.columns if c not in outputs], outputs


def quality_ignored(monitor: MonitorConfig) -> set[str]:
    """Columns data quality never reports as new: times, ids and labels (outputs the reference
    lacks are reported)."""
    return {r.column for r in role_columns(monitor) if r.role not in ("prediction", "score")}


def _importance(drift: DriftConfig) -> ImportanceOptions:
    if isinstance(drift.importance, dict):
        return ImportanceOptions(weights=dict(drift.importance))
    estimate = drift.importance
    return ImportanceOptions(estimate=estimate.estimate, target=estimate.target, seed=estimate.seed)


def drift_options(drift: DriftConfig, features: list[str], *, dataset_level: bool = True) -> DriftOptions:
    """The drift engine's options for these columns; without the dataset-level parts (multivariate
    and importance-weighted drift) when `dataset_level` is False (the model's outputs)."""
    return DriftOptions(
        tests=tuple(drift.tests),
        thresholds=dict(drift.thresholds),
        columns={
            name: ColumnOptions(
                kind=None if col.kind is None else ColumnKind(col.kind),
                tests=None if col.tests is None else tuple(col.tests),
                thresholds=dict(col.thresholds),
            )
            for name, col in drift.columns.items()
        },
        include=tuple(features),
        drift_share=drift.drift_share,
        correction=drift.correction,
        reference_band=drift.reference_band,
        monte_carlo=MonteCarloOptions(**drift.monte_carlo.model_dump()),
        multivariate=MultivariateOptions(**drift.multivariate.model_dump())
        if dataset_level
        else MultivariateOptions(),
        importance=_importance(drift) if dataset_level else ImportanceOptions(),
        learned=LearnedOptions(chunks=drift.learned.chunks, std_multiplier=drift.learned.std_multiplier),
    )


def profile_key(monitor: MonitorConfig, data_hash: str) -> str:
    """What a reference profile depends on: the reference data, and the settings that shape it."""
    parts = {
        "format": PROFILE_FORMAT,
        "data": data_hash,
        "reference": monitor.reference.model_dump(mode="json"),
        "schema": monitor.schema_.model_dump(mode="json"),
        # The default features are the reference's columns but these.
        "roles": sorted(role_column_names(monitor)),
        "drift": monitor.drift.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def content_hash(frame: pd.DataFrame) -> str | None:
    try:
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    except TypeError:  # unhashable cells: no key, so the profile is built but not stored
        return None
    head = json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode()
    return hashlib.sha256(head + rows.tobytes()).hexdigest()


def reference_fingerprint(runtime: Runtime, name: str, segment: str | None = None) -> str | None:
    """A cheap hash of the reference's files (paths, sizes, modification times): a new or changed
    file changes it, so a stored profile is rebuilt. None when the source has no files to stat."""
    source = reference_config(runtime.monitor(name), segment)
    if source.type != "files":
        return None
    paths = sorted(glob.glob(str(runtime.config.resolve_path(source.path)), recursive=True))
    if not paths:
        return None  # reading will fail with a clear message
    stats = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            return None
        stats.append((path, info.st_size, info.st_mtime_ns))
    return hashlib.sha256(json.dumps(stats).encode()).hexdigest()


def reference_config(monitor: MonitorConfig, segment: str | None = None) -> ReferenceConfig:
    """The monitor's reference, or a segment's own one (`segments.references`)."""
    own = monitor.segments.reference_for(segment) if monitor.segments and segment else None
    return own if own is not None else monitor.reference


def read_reference(runtime: Runtime, name: str, segment: str | None = None) -> pd.DataFrame:
    """The reference data, read now and not kept (its profile is what stays)."""
    if segment is None:
        return runtime.source_for(name, "reference").read()
    return runtime.segment_reference(name, segment).read()


def reference_profile(
    runtime: Runtime, name: str, *, now: datetime, segment: str | None = None
) -> ReferenceProfile:
    """The monitor's reference profile (or a segment's own one): from memory, else from the store,
    else built and stored."""
    monitor = runtime.monitor(name)
    if segment is not None:
        monitor = monitor.model_copy(update={"reference": reference_config(monitor, segment)})
    cached_as = name if segment is None else f"{name}[{segment}]"
    digest = monitor.config_hash()
    fingerprint = reference_fingerprint(runtime, name, segment)
    key = (
        profile_key(monitor, fingerprint)
        if fingerprint is not None
        else runtime.profiles.known_key(cached_as, digest)
    )
    with runtime.sessions() as session:
        mid = monitor_id(session=session, name=name)
    found = _known_profile(runtime, cached_as, digest, key, mid)
    if found is not None:
        return found
    frame = read_reference(runtime, name, segment)
    if key is None:
        content = content_hash(frame)
        key = profile_key(monitor, content) if content is not None else None
        found = _known_profile(runtime, cached_as, digest, key, mid)
        if found is not None:
            return found
    features = feature_columns(monitor, frame.columns)
    outputs = [c for c in output_columns(monitor) if c in frame.columns and c not in features]
    options = drift_options(monitor.drift, features + outputs)
    profile = build_profile(frame, options, dataset_columns=features)
    if key is not None:
        if mid is not None:
            save_profile(runtime.sessions, monitor_id=mid, key=key, profile=profile, now=now)
        runtime.profiles.remember(cached_as, digest, key, profile)
    return profile


def _known_profile(
    runtime: Runtime, cached_as: str, digest: str, key: str | None, mid: int | None
) -> ReferenceProfile | None:
    """The profile of `key` from memory, else from the store (then remembered)."""
    if key is None:
        return None
    cached = runtime.profiles.get(key)
    if cached is not None:
        return cached
    if mid is None:
        return None
    with runtime.sessions() as session:
        stored = load_profile(session, monitor_id=mid, key=key)
    if stored is not None:
        runtime.profiles.remember(cached_as, digest, key, stored)
    return stored
