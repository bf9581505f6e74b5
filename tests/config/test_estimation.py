"""`estimation:` and the rules that watch estimates and metric series: defaults and error paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.config import parse_config
from tests.config.test_parse import errors_of, minimal


def parsed(**monitor: Any) -> Any:
    return parse_config(minimal(**monitor), base_dir=Path("/cfg"), env={}).monitors["credit"]


def test_estimation_defaults_to_the_monitors_estimable_metrics() -> None:
    monitor = parsed(metrics=["accuracy", "pr_auc", "roc_auc"], estimation={})
    assert monitor.estimation.metrics == ["accuracy", "roc_auc"]  # pr_auc is not estimated
    assert monitor.estimation.max_calibration_error == 0.05
    assert monitor.estimation_label() == "label"
    assert parsed(task="regression", estimation={}).estimation.metrics == ["mae", "rmse"]


def test_change_rules_default_to_cusum_on_the_estimate() -> None:
    rule = {"name": "c", "signal": "metric_change", "metric": "roc_auc"}
    monitor = parsed(estimation={}, alerts=[rule])
    (found,) = monitor.alerts
    assert (found.detector, found.of, found.direction, found.threshold) == ("cusum", "estimated", None, None)


LABELS = {"source": {"type": "files", "path": "labels.parquet"}}


@pytest.mark.parametrize(
    ("monitor", "path", "message"),
    [
        (
            {"task": "multiclass_classification", "metrics": ["accuracy"], "estimation": {}},
            "",
            "needs `schema.class_score_columns`",
        ),
        ({"estimation": {"metrics": ["pr_auc"]}}, "", "pr_auc cannot be estimated"),
        (
            {"alerts": [{"name": "r", "signal": "estimated_metric", "metric": "roc_auc", "threshold": 0.7}]},
            "",
            "roc_auc is not estimated",
        ),
        (
            {"estimation": {}, "alerts": [{"name": "r", "signal": "estimated_metric", "threshold": 0.7}]},
            ".alerts[0]",
            "needs `metric`",
        ),
        (
            {"alerts": [{"name": "r", "signal": "metric_change", "metric": "roc_auc", "of": "realised"}]},
            "",
            "not a labelled metric",
        ),
        (
            {"alerts": [{"name": "r", "signal": "drift_share", "threshold": 0.2, "detector": "cusum"}]},
            ".alerts[0]",
            "apply to signal 'metric_change' only",
        ),
        (
            {
                "estimation": {},
                "labels": LABELS,
                "alerts": [
                    {"name": "r", "signal": "metric_change", "metric": "roc_auc", "per_segment": True}
                ],
            },
            "",
            "alerts[0].per_segment: the monitor has no `segments`",
        ),
        ({"estimation": {"max_calibration_error": 0}}, ".estimation.max_calibration_error", "greater than 0"),
    ],
)
def test_estimation_errors_name_their_path(monitor: dict[str, Any], path: str, message: str) -> None:
    errors = errors_of(minimal(**monitor))
    assert any(p == f"monitors.credit{path}" and message in m for p, m in errors), errors


def test_a_change_rule_may_watch_each_segment() -> None:
    rule = {"name": "r", "signal": "metric_change", "metric": "roc_auc", "per_segment": True}
    found = parsed(estimation={}, labels=LABELS, segments={"by": ["channel"]}, alerts=[rule]).alerts[0]
    assert found.per_segment and found.signal == "metric_change"


def test_a_realised_change_rule_needs_labels() -> None:
    rule = {"name": "r", "signal": "metric_change", "metric": "roc_auc", "of": "realised"}
    assert parsed(labels=LABELS, alerts=[rule]).alerts[0].of == "realised"
