"""Data quality of a window: row counts, missing shares, schema changes, ranges, new categories. Pure."""

from monitor.quality.checks import QualityCheck, QualityOptions, QualityReport, assess_window, finding_text
from monitor.quality.reference import (
    QualityReference,
    ReferenceColumn,
    describe_column,
    describe_reference,
    value_family,
)

__all__ = [
    "QualityCheck",
    "QualityOptions",
    "QualityReference",
    "QualityReport",
    "ReferenceColumn",
    "assess_window",
    "describe_column",
    "describe_reference",
    "finding_text",
    "value_family",
]
