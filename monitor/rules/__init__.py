"""Alert rules, pure: a window's results and the previous alert state in, the new state out; which
alerts share a message and when; which alerts a silence mutes."""

from monitor.rules.evaluate import (
    AlertState,
    BaselineSpec,
    Evaluation,
    RuleSpec,
    Transition,
    evaluate_rule,
    fingerprint,
)
from monitor.rules.grouping import GroupLog, group_key, group_labels, notification_reason
from monitor.rules.signals import (
    ChangeFact,
    DatasetFact,
    MetricPoint,
    Observation,
    TestFact,
    WindowFacts,
    judged_columns,
    observe,
)
from monitor.rules.silence import Matcher, MatcherError, Silence, check_matchers, parse_matcher, silenced_by

__all__ = [
    "AlertState",
    "BaselineSpec",
    "ChangeFact",
    "DatasetFact",
    "Evaluation",
    "GroupLog",
    "Matcher",
    "MatcherError",
    "MetricPoint",
    "Observation",
    "RuleSpec",
    "Silence",
    "TestFact",
    "Transition",
    "WindowFacts",
    "check_matchers",
    "evaluate_rule",
    "fingerprint",
    "group_key",
    "group_labels",
    "judged_columns",
    "notification_reason",
    "observe",
    "parse_matcher",
    "silenced_by",
]
