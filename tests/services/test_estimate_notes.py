"""The run page's sentence on data drift beside estimated performance."""

from __future__ import annotations

import pytest

from monitor.services.estimate_notes import drift_and_estimate_note, shifts
from monitor.services.estimate_types import EstimatedMetricOut

# accuracy's estimate on 1,000-row reference chunks: 0.80, spread 0.01; at 4,000 rows 0.005.
FACTS = {"change_parameters": {"estimated": {"accuracy": [0.80, 0.01, 1000], "log_loss": [0.4, 0.02, 1000]}}}


def estimate(metric: str, value: float, segment: str = "") -> EstimatedMetricOut:
    return EstimatedMetricOut(
        segment=segment,
        metric=metric,
        method="cbpe",
        value=value,
        lower=None,
        upper=None,
        sampling_error=None,
        row_count=4000,
        status="ok",
        note=None,
    )


def test_the_distance_from_the_reference_level_scales_with_the_rows() -> None:
    (found,) = shifts([estimate("accuracy", 0.79)], FACTS["change_parameters"]["estimated"])
    assert found.z == pytest.approx(-2.0) and found.worse  # 0.01 below, at a spread of 0.005
    (loss,) = shifts([estimate("log_loss", 0.38)], FACTS["change_parameters"]["estimated"])
    assert loss.z == pytest.approx(-2.0) and not loss.worse  # a lower loss is better


def test_drift_that_leaves_the_estimate_stable_is_said() -> None:
    note = drift_and_estimate_note(True, [estimate("accuracy", 0.795)], FACTS)
    assert note is not None and note.startswith(
        "Data drift is present, but the estimated performance (accuracy)"
    )


def test_a_moved_estimate_without_drift_is_said() -> None:
    note = drift_and_estimate_note(False, [estimate("accuracy", 0.77)], FACTS)
    assert note is not None
    assert note.startswith("No dataset drift was detected, yet estimated accuracy below its reference range")
    both = drift_and_estimate_note(True, [estimate("accuracy", 0.77), estimate("log_loss", 0.4)], FACTS)
    assert both == (
        "Data drift is present and the estimated performance moved with it: estimated accuracy below its "
        "reference range (-6.0 sd); log_loss stays within its reference range."
    )


def test_nothing_to_say() -> None:
    assert drift_and_estimate_note(False, [estimate("accuracy", 0.80)], FACTS) is None
    assert (
        drift_and_estimate_note(True, [estimate("accuracy", 0.80)], None) is None
    )  # stored before estimates
    assert drift_and_estimate_note(True, [estimate("accuracy", 0.5, "v=a")], FACTS) is None  # segments aside
