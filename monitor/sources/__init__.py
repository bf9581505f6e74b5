"""Where prediction logs, labels and reference data come from. Each kind is one module in the registry."""

from monitor.sources.base import Source, SourceError, build_source

__all__ = ["Source", "SourceError", "build_source"]
