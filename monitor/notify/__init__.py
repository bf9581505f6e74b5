"""Alert channels behind one small interface, and the outbox that delivers to them after commit."""

from monitor.notify.base import Delivery, Notification, Notifier, build_notifiers

__all__ = ["Delivery", "Notification", "Notifier", "build_notifiers"]
