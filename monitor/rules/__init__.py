"""Alert rules: a window's results and the previous alert state in, the new state and transitions out."""

from monitor.rules.evaluate import (
    AlertState,
    Evaluation,
    RuleSpec,
    WindowFacts,
    evaluate_rule,
    fingerprint,
    observe,
)

__all__ = ["AlertState", "Evaluation", "RuleSpec", "WindowFacts", "evaluate_rule", "fingerprint", "observe"]
