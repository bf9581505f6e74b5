"""Alerting: judging windows by the alert rules, the alerts' lifecycle, routing to the outbox, actions
(retrain, rollback, promote).

Everything here runs inside the transaction that stores what made a window judgeable; delivery
happens after commit (monitor.notify.dispatch)."""
