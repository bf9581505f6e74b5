"""Alert channels behind one small interface, and the outbox that delivers to them after commit."""

from monitor.notify.base import Delivery, Notifier, build_notifier, build_notifiers
from monitor.notify.messages import (
    AlertGroupMessage,
    AlertItem,
    FeatureDrift,
    Message,
    RetrainRequest,
    TestMessage,
)

__all__ = [
    "AlertGroupMessage",
    "AlertItem",
    "Delivery",
    "FeatureDrift",
    "Message",
    "Notifier",
    "RetrainRequest",
    "TestMessage",
    "build_notifier",
    "build_notifiers",
]
