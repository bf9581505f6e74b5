"""Where prediction logs, labels and reference data come from. Each kind is one module in the registry:
files (Parquet/CSV, hive date partitions), sql (any SQLAlchemy database), ingest (rows pushed over HTTP),
period (a fixed past period of another source, as a reference)."""

from monitor.sources.base import Source, SourceContext, SourceError, build_source

__all__ = ["Source", "SourceContext", "SourceError", "build_source"]
