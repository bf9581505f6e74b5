"""Log predictions and labels to the model-monitor service from a serving app, in the background.

The client of the `model-monitor` service, installable without the service's dependencies (it needs
only httpx). See `monitor_client.client` for how it behaves.
"""

from monitor_client.client import ClientStats, MonitorClient, Stream

__all__ = ["ClientStats", "MonitorClient", "Stream"]
