"""Where a monitor reads rows: files, SQL, rows pushed over HTTP; and what it compares them with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from monitor.config._base import _check_zone, _Strict


class FilesSourceConfig(_Strict):
    """Parquet or CSV files; `path` may be a glob (`**` for any depth)."""

    type: Literal["files"]
    path: str
    format: Literal["auto", "parquet", "csv"] = "auto"
    # Hive-style date partitions in the path (`dt=2026-11-22/`): files of days that cannot overlap the
    # window are never opened. The day is a calendar day in `partition_timezone`.
    partition_key: str = "dt"
    partition_timezone: str = "UTC"

    @field_validator("partition_timezone")
    @classmethod
    def _known_partition_zone(cls, value: str) -> str:
        return _check_zone(value)


class SqlSourceConfig(_Strict):
    """Any database SQLAlchemy reaches: a table (filtered on the time column) or a query using
    `:start` and `:end`. Identifiers are quoted and bounds bound as parameters, never formatted in."""

    type: Literal["sql"]
    url: str
    table: str | None = None
    schema_: str | None = Field(None, alias="schema")
    query: str | None = None
    # Rows fetched per round trip; a window is streamed in chunks of this size.
    chunk_size: int = Field(50_000, ge=1)

    @model_validator(mode="after")
    def _table_or_query(self) -> SqlSourceConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of `table` or `query`")
        if self.query is not None and self.schema_ is not None:
            raise ValueError("`schema` applies to `table` only; name the schema inside the query")
        return self


class IngestSourceConfig(_Strict):
    """Rows pushed over HTTP (POST /api/v1/models/{model}/predictions and .../ground-truth) and kept in
    the service database; validated against the monitor's `schema`."""

    type: Literal["ingest"]


SourceConfig = Annotated[
    FilesSourceConfig | SqlSourceConfig | IngestSourceConfig, Field(discriminator="type")
]


class PeriodReferenceConfig(_Strict):
    """A fixed past period [start, end) of a source (by default the monitor's own) as the reference."""

    type: Literal["period"]
    start: datetime
    end: datetime
    source: SourceConfig | None = None

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value

    @model_validator(mode="after")
    def _ordered(self) -> PeriodReferenceConfig:
        if self.end <= self.start:
            raise ValueError("`end` must be after `start`")
        return self


ReferenceConfig = Annotated[
    FilesSourceConfig | SqlSourceConfig | IngestSourceConfig | PeriodReferenceConfig,
    Field(discriminator="type"),
]
