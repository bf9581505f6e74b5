"""Data quality of a window: row counts, missing shares, schema changes, ranges, new categories. Pure."""

from monitor.quality.checks import QualityCheck, QualityOptions, QualityReport, assess_window, value_family

__all__ = ["QualityCheck", "QualityOptions", "QualityReport", "assess_window", "value_family"]
