"""The bundled demo: a credit-default classifier's prediction log with delayed labels and a real drift.

Sixty days of traffic end at the day before `today`. From day DRIFT_DAY on, a new acquisition channel
brings a growing share of thin-file applicants (30% of the day's traffic, then 15 points more each
day, up to 90%) whose credit scores, debts, incomes and job histories put the model's score near its
0.3 cut-off, where it can tell defaulters from the rest least well: its accuracy and ROC AUC fall.
The model stays right about each applicant (defaults follow its scores, as on the reference): this
is a shift in who applies, not in what makes them default, so the performance estimated from the
scores alone (CBPE) falls on the first day, and the realised value follows it as the labels come.
Labels arrive 3 to 7 days after each prediction. Every
label is written with the time it becomes known, those of the last days still in the future: the
service pulls labels by that time, so a running demo sees them arrive and the last windows' label
coverage rise. Seeded: the same `today` gives the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

DAYS = 60
DRIFT_DAY = 40
CANARY_DAY = 50  # from then on model v4 serves a tenth of the traffic: slower, failing more, worse
CANARY_SHARE = 0.1
REFERENCE_ROWS = 20_000
NEW_CHANNEL = "partner_api"
PARTNER_SHARE_START, PARTNER_SHARE_STEP, PARTNER_SHARE_MAX = 0.3, 0.15, 0.9

_EMPLOYMENT = (["salaried", "self_employed", "contractor", "unemployed"], [0.62, 0.2, 0.13, 0.05])
_HOME = (["rent", "own", "mortgage"], [0.4, 0.2, 0.4])
_PURPOSE = (
    ["debt_consolidation", "home_improvement", "car", "education", "medical", "other"],
    [0.35, 0.15, 0.2, 0.1, 0.08, 0.12],
)
_CHANNEL = (["branch", "web", "mobile"], [0.3, 0.45, 0.25])
_REGION = (["north", "south", "east", "west", "central"], [0.2, 0.25, 0.15, 0.2, 0.2])


@dataclass(frozen=True)
class DemoFiles:
    reference: Path
    predictions: Path
    labels: Path
    canary_reference: Path  # v4's validation data: its own reference


def demo_files(directory: Path) -> DemoFiles:
    return DemoFiles(
        directory / "reference.parquet",
        directory / "predictions.parquet",
        directory / "labels.parquet",
        directory / "reference_v4.parquet",
    )


def _features(rng: np.random.Generator, n: int) -> pd.DataFrame:
    channel_names, channel_p = _CHANNEL
    return pd.DataFrame(
        {
            "age": np.clip(rng.normal(42, 12, n), 18, 90).round().astype("int64"),
            "income": np.round(rng.lognormal(10.9, 0.45, n), 2),
            "loan_amount": np.round(rng.lognormal(9.3, 0.7, n), 2),
            "credit_score": np.clip(rng.normal(690, 60, n), 300, 850).round().astype("int64"),
            "debt_to_income": np.round(rng.beta(2.2, 6.0, n), 4),
            "num_open_accounts": rng.poisson(6, n).astype("int64"),
            "months_employed": np.round(rng.exponential(60, n)).astype("int64"),
            "num_late_payments": np.minimum(rng.poisson(0.6, n), 6).astype("int64"),
            "employment_type": rng.choice(_EMPLOYMENT[0], n, p=_EMPLOYMENT[1]),
            "home_ownership": rng.choice(_HOME[0], n, p=_HOME[1]),
            "loan_purpose": rng.choice(_PURPOSE[0], n, p=_PURPOSE[1]),
            "channel": rng.choice(channel_names, n, p=channel_p),
        }
    )


def partner_share(day: int) -> float:
    """The share of a day's applicants who come through the partner channel."""
    if day < DRIFT_DAY:
        return 0.0
    return min(PARTNER_SHARE_MAX, PARTNER_SHARE_START + PARTNER_SHARE_STEP * (day - DRIFT_DAY))


def _partner_applicants(rng: np.random.Generator, frame: pd.DataFrame, share: float) -> None:
    """Turns about `share` of the rows into the partner channel's thin credit files: credit scores
    bunched around 640, debts near 30% of income, modest incomes, short jobs and no payment history
    yet. The model scores them about 0.36 (0.24 to 0.50 for 95% of them): near its cut-off."""
    rows = np.flatnonzero(rng.random(len(frame)) < share)
    k = len(rows)
    frame.loc[rows, "channel"] = NEW_CHANNEL
    frame.loc[rows, "credit_score"] = np.clip(rng.normal(640, 15, k), 300, 850).round().astype("int64")
    frame.loc[rows, "debt_to_income"] = np.round(rng.beta(30, 70, k), 4)
    frame.loc[rows, "income"] = np.round(rng.lognormal(10.7, 0.15, k), 2)
    frame.loc[rows, "months_employed"] = np.round(rng.exponential(24, k)).astype("int64")
    frame.loc[rows, "num_late_payments"] = 0
    frame.loc[rows, "employment_type"] = "salaried"


def _model_logit(f: pd.DataFrame) -> np.ndarray:
    """The deployed model: what it learned about defaults on the reference period."""
    logit: np.ndarray = (
        -1.6
        - 0.012 * (f["credit_score"].to_numpy() - 690)
        + 3.5 * (f["debt_to_income"].to_numpy() - 0.27)
        - 0.9 * (np.log(f["income"].to_numpy()) - 10.9)
        + 0.45 * f["num_late_payments"].to_numpy()
        + 0.8 * (f["employment_type"].to_numpy() == "unemployed")
        - 0.004 * (f["months_employed"].to_numpy() - 60)
    )
    return logit


def _sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result


def _day_traffic(rng: np.random.Generator, day: int, start: datetime) -> pd.DataFrame:
    n = int(rng.integers(2600, 3400))
    frame = _features(rng, n)
    if day >= DRIFT_DAY:
        _partner_applicants(rng, frame, partner_share(day))
    seconds = np.sort(rng.uniform(0, 86_400, n))
    frame.insert(0, "timestamp", pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s"))
    frame["score"] = np.round(_sigmoid(_model_logit(frame)), 6)
    frame["prediction"] = (frame["score"] >= 0.3).astype("int64")
    # The model stays right about each applicant: defaults follow its score, as on the reference.
    frame["_label"] = (rng.random(n) < frame["score"].to_numpy()).astype("int64")
    return frame


def _serving(rng: np.random.Generator, frame: pd.DataFrame, day: int) -> pd.DataFrame:
    """Which model served each row, how long it took and whether it failed; v4, the canary, is
    slower, fails six times as often and ranks worse.
    From its own generator, so the rest of the demo stays as it was."""
    n = len(frame)
    canary = (rng.random(n) < CANARY_SHARE) & (day >= CANARY_DAY)
    frame["model_version"] = np.where(canary, "v4", "v3")
    frame["latency_ms"] = np.round(np.where(canary, rng.gamma(4, 22, n), rng.gamma(4, 12, n)), 1)
    failing = rng.random(n) < np.where(canary, 0.06, 0.01)
    frame["status"] = np.where(failing, rng.choice([500, 503], n), 200).astype("int64")
    # v4 shipped with a feature pipeline bug that inverts what its inputs mean: it ranks backwards.
    broken = _sigmoid(-_model_logit(frame) + rng.normal(0, 0.5, n))
    frame["score"] = np.where(canary, np.round(broken, 6), frame["score"])
    frame["prediction"] = (frame["score"] >= 0.3).astype("int64")
    return frame


def generate_demo(directory: Path, *, today: datetime, seed: int = 7) -> DemoFiles:
    """Writes reference, predictions and labels (each with the moment it becomes known) as Parquet."""
    files = demo_files(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    reference = _features(rng, REFERENCE_ROWS)
    reference["score"] = np.round(_sigmoid(_model_logit(reference)), 6)
    reference["prediction"] = (reference["score"] >= 0.3).astype("int64")
    reference["label"] = (rng.random(REFERENCE_ROWS) < reference["score"]).astype("int64")

    midnight = today.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first_day = midnight - timedelta(days=DAYS)
    days = [_day_traffic(rng, d, first_day + timedelta(days=d)) for d in range(DAYS)]
    serving = np.random.default_rng(seed + 1)
    log = pd.concat([_serving(serving, f, d) for d, f in enumerate(days)], ignore_index=True)
    log.insert(0, "prediction_id", [f"p{i:07d}" for i in range(len(log))])
    delay = pd.to_timedelta(rng.uniform(3, 7, len(log)), unit="D")
    labels = pd.DataFrame(
        {
            "prediction_id": log["prediction_id"],
            "label": log["_label"],
            "labelled_at": log["timestamp"] + delay,
        }
    )
    log = log.drop(columns="_label")

    # v4's validation set: the reference period's applicants, scored by v4, with their outcomes.
    canary = _features(serving, REFERENCE_ROWS // 4)
    canary["score"] = np.round(_sigmoid(-_model_logit(canary) + serving.normal(0, 0.5, len(canary))), 6)
    canary["prediction"] = (canary["score"] >= 0.3).astype("int64")
    canary["label"] = (serving.random(len(canary)) < _sigmoid(_model_logit(canary))).astype("int64")
    _write(canary, files.canary_reference)
    _write(reference, files.reference)
    _write(log, files.predictions)
    _write(labels, files.labels)
    return files


def _write(frame: pd.DataFrame, path: Path) -> None:
    # Write then rename, so an interrupted run never leaves a half-written file that looks complete.
    partial = path.with_suffix(".partial")
    # Row groups of about a day's rows: a window's read skips the others on their time statistics.
    frame.to_parquet(partial, index=False, row_group_size=4096)
    partial.replace(path)
