"""Where package files come from: the local filesystem, or (optionally) fsspec URLs."""

from modelcheck.sources.base import Entry, OutsidePackage, Source

__all__ = ["Entry", "OutsidePackage", "Source"]
