"""Block Kit for a message: model, window, what breached (value against threshold), the top drifted
features and a link to the run's report. Pure formatting; Slack's limits (50 blocks, 3000 characters
a section) are kept by listing at most a few lines per section and saying how many more there are."""

from __future__ import annotations

import math
from typing import Any

from monitor.notify.messages import (
    AlertGroupMessage,
    AlertItem,
    FeatureDrift,
    Message,
    RetrainRequest,
    headline,
)

SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section's text
MAX_ALERT_LINES = 15


def escape(text: str) -> str:
    """mrkdwn needs &, < and > escaped; a summary like `p < 0.05` would otherwise be read as a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _window(message: AlertGroupMessage | RetrainRequest) -> str:
    start, end = message.window_start.replace("T", " ")[:16], message.window_end.replace("T", " ")[:16]
    return f"{start} → {end} UTC"


def _bullets(lines: list[str], limit: int) -> str:
    shown = lines[:limit]
    more = len(lines) - len(shown)
    return "\n".join(f"• {line}" for line in shown) + (f"\n…and {more} more" if more > 0 else "")


def _alert_line(alert: AlertItem) -> str:
    return f"*{escape(alert.rule)}* ({alert.severity}): {escape(alert.summary)}"


def strength(feature: FeatureDrift) -> float:
    """How far past its threshold a drift test is, comparable across tests (1 = at the threshold)."""
    if feature.p_value is not None and 0 < feature.threshold < 1:
        p = max(feature.p_value, 1e-300)
        return math.log10(p) / math.log10(feature.threshold)
    if feature.statistic is not None and feature.threshold > 0:
        return feature.statistic / feature.threshold
    return 0.0


def _feature_line(feature: FeatureDrift) -> str:
    name = f"`{escape(feature.column)}` {feature.test}"
    if feature.p_value is not None:
        return f"{name} p={feature.p_value:.2g} (threshold {feature.threshold:g})"
    stat = "n/a" if feature.statistic is None else f"{feature.statistic:.3g}"
    return f"{name} {stat} (threshold {feature.threshold:g})"


def top_features(features: tuple[FeatureDrift, ...]) -> list[FeatureDrift]:
    """One line per column, its strongest test first, strongest columns first."""
    best: dict[str, FeatureDrift] = {}
    for feature in features:
        if feature.column not in best or strength(feature) > strength(best[feature.column]):
            best[feature.column] = feature
    return sorted(best.values(), key=strength, reverse=True)


def blocks(message: Message, *, max_features: int = 10) -> list[dict[str, Any]]:
    if isinstance(message, AlertGroupMessage):
        return _group_blocks(message, max_features)
    if isinstance(message, RetrainRequest):
        return [_section(escape(headline(message)))]
    return [_section(f":white_check_mark: {escape(message.text)}")]


def _group_blocks(message: AlertGroupMessage, max_features: int) -> list[dict[str, Any]]:
    firing = message.status == "firing"
    icon = ":rotating_light:" if firing else ":white_check_mark:"
    title = f"{'FIRING' if firing else 'RESOLVED'}: {message.monitor}"
    if firing:
        title += f" · {len(message.firing)} alert{'s' if len(message.firing) != 1 else ''}"
    severities = sorted({a.severity for a in message.firing}) or ["resolved"]
    result: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{icon} {title}"[:150], "emoji": True}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Model*\n{escape(message.model)}"},
                {"type": "mrkdwn", "text": f"*Monitor*\n{escape(message.monitor)}"},
                {"type": "mrkdwn", "text": f"*Window*\n{_window(message)}"},
                {"type": "mrkdwn", "text": f"*Severity*\n{', '.join(severities)}"},
            ],
        },
    ]
    if message.firing:
        lines = [_alert_line(a) for a in message.firing]
        result.append(_section("*What breached*\n" + _bullets(lines, MAX_ALERT_LINES)))
    features = top_features(message.drifted_features)
    if features and firing:
        lines = [_feature_line(f) for f in features]
        result.append(_section(f"*Top drifted features* ({len(features)})\n" + _bullets(lines, max_features)))
    if message.resolved:
        lines = [_alert_line(a) for a in message.resolved]
        result.append(_section("*Resolved*\n" + _bullets(lines, MAX_ALERT_LINES)))
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": text}, "url": url}
        for text, url in (
            ("Open the run report", message.report_url),
            ("Daily report", message.daily_report_url),
            ("Alerts", message.alerts_url),
        )
        if url
    ]
    if buttons:
        result.append({"type": "actions", "elements": buttons})
    context = "Still firing: repeated after the repeat interval." if message.reason == "repeat" else ""
    group = ", ".join(f"{k}={v}" for k, v in message.group.items())
    if group:
        context = f"{context} Group: {group}".strip()
    if context:
        result.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(context)}]})
    return result
