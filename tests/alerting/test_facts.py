"""A window's facts survive their stored form: a window judged later, in order, sees what was computed."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from monitor.alerting.facts import facts_from_json, facts_to_json
from monitor.rules import WindowFacts


def test_estimates_and_reference_levels_round_trip_through_json() -> None:
    segment = WindowFacts(None, (), (), {}, 10, estimated={"accuracy": 0.7})
    facts = WindowFacts(
        drift_share=0.25,
        drifted_columns=("age",),
        judged_columns=("age", "income"),
        metrics={"accuracy": None},
        row_count=100,
        window_start=datetime(2026, 3, 1, tzinfo=UTC),
        segments={"v=a": segment},
        estimated={"accuracy": 0.81, "roc_auc": math.nan},
        change_parameters={"estimated": {"accuracy": (0.8, 0.01, 1000)}, "realised": {}},
    )
    back = facts_from_json(json.loads(json.dumps(facts_to_json(facts))))
    assert back.estimated == {"accuracy": 0.81, "roc_auc": None}  # NaN is stored as null
    assert back.change_parameters == {"estimated": {"accuracy": (0.8, 0.01, 1000)}, "realised": {}}
    assert back.segments["v=a"].estimated == {"accuracy": 0.7}


def test_facts_stored_before_estimates_still_load() -> None:
    stored = facts_to_json(WindowFacts(None, (), (), {}, 0))
    del stored["estimated"], stored["change_parameters"]
    back = facts_from_json(stored)
    assert back.estimated == {} and back.change_parameters == {}
