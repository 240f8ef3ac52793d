"""The version of modelcheck (one place: the package, reports and user agents read it)."""

__version__ = "0.1.0"
