"""How long stored data is kept: the scheduler prunes what is older, in batches."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from monitor.config._base import Duration, _Strict


class RetentionConfig(_Strict):
    """Each age is measured back from now; `null` keeps that data for ever."""

    # Predictions and labels pushed over HTTP, by prediction time. Rows inside a monitor's reference
    # period are kept whatever the age; config validation refuses an age that would remove rows of
    # windows still waiting for labels.
    ingested_rows: Duration | None = timedelta(days=90)
    # A window's raw results, by window end: bin and category counts behind its charts, the quality
    # checks that found nothing, and metric versions a later one superseded. The run, its drift share,
    # every column's statistic and p-value, quality findings and the final metrics stay.
    raw_results: Duration | None = timedelta(days=400)
    # Delivered and dead notifications with their delivery attempts, by when they were written.
    delivery_log: Duration | None = timedelta(days=90)
    # How often the scheduler prunes, and how many rows one transaction deletes at most (short
    # transactions keep runs and ingestion flowing while a large backlog is pruned).
    every: Duration = timedelta(hours=1)
    batch_size: int = Field(5000, ge=1, le=1_000_000)

    @field_validator("ingested_rows", "raw_results", "delivery_log", "every")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be a positive duration such as 30d, or null to keep for ever")
        return value
